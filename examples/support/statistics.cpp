#include "support/statistics.hpp"

#include <algorithm>
#include <cstddef>

namespace example {

double percentile(std::vector<double>& xs, double p) {
  if (xs.empty())
    return 0;
  auto k = static_cast<size_t>(p * static_cast<double>(xs.size() - 1));
  std::nth_element(xs.begin(), xs.begin() + static_cast<ptrdiff_t>(k),
                   xs.end());
  return xs[k];
}

} // namespace example
