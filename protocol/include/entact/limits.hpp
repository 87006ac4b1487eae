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
  /// Largest reply of one `read_many`, in bytes: the ids and values of its
  /// records. Past it the read is refused (`too_large`, naming how many of
  /// its ids fit) before more is read: 4096 ids of 1 MiB values would be
  /// a 4 GiB reply, built in memory and queued whole for the peer.
  size_t max_read_bytes = 16 * 1024 * 1024;
  /// Most records one page of a `scan` may ask for (its `limit`); a scan's
  /// reply is also bounded by `max_read_bytes`.
  size_t max_scan_records = 1000;
};

} // namespace entact
