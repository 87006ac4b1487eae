#pragma once

#include <cstddef>

namespace entact {

/// Size limits applied to every request before anything is touched, the
/// same for an embedded engine and its remote clients (a server applies
/// its own). Past any of them a request is refused with `errc::too_large`.
struct limits {
  /// Longest entity id, in bytes.
  size_t max_id_bytes = 256;
  /// Largest value, in bytes.
  size_t max_value_bytes = 1024 * 1024;
  /// Most ids one `read_many` (one committed read from one snapshot) may
  /// name.
  size_t max_read_ids = 4096;
};

} // namespace entact
