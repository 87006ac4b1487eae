#pragma once

#include "harness/config.hpp"
#include "harness/report.hpp"

namespace bench {

/// Adds the goals of every workload that ran, in workload order. They are
/// kept together so that they read as one list, as in the README; each is
/// reported met or missed and never fails the run.
void add_targets(const config& cfg, report& rep);

} // namespace bench
