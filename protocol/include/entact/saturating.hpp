#pragma once

// Size arithmetic that clamps at the largest size_t instead of wrapping:
// for limits derived from other limits (frame and body sizes), where an
// overflow must mean "no smaller limit", never a tiny one.

#include <cstddef>
#include <limits>

namespace entact::detail {

inline size_t add_sat(size_t x, size_t y) {
  return x > std::numeric_limits<size_t>::max() - y
           ? std::numeric_limits<size_t>::max()
           : x + y;
}

inline size_t mul_sat(size_t x, size_t y) {
  return y != 0 && x > std::numeric_limits<size_t>::max() / y
           ? std::numeric_limits<size_t>::max()
           : x * y;
}

} // namespace entact::detail
