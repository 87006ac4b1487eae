#pragma once

#include <cstddef>

namespace entact {

/// Size limits applied to every request before anything is touched.
struct limits {
  /// Longest entity id, in bytes.
  size_t max_id_bytes = 256;
  /// Largest value, in bytes.
  size_t max_value_bytes = 1024 * 1024;
};

} // namespace entact
