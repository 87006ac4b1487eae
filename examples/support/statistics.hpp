// Summaries of what a run measured.
#pragma once

#include <vector>

namespace example {

/// The `p` quantile (0.5: the median) of `xs`, nearest rank below; 0 if
/// `xs` is empty. Reorders `xs`.
double percentile(std::vector<double>& xs, double p);

} // namespace example
