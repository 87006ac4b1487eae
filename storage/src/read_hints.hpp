#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

#include "entact/record.hpp"

namespace entact::storage::detail {

/// What readers saw of stored records, for the committer to learn from: an
/// entity's activation reads its record on a reader's thread, and the write
/// that usually follows should not make the committer read it again.
///
/// Each hint carries the database's sequence number taken before its read
/// began: the committer takes a hint only for an id it does not know and
/// only if it has forgotten nothing since that sequence number (see
/// `partition::impl::learn_from_reads`). Bounded: past `capacity` hints waiting,
/// new ones are dropped (the committer then reads those ids, as without
/// hints). Thread-safe.
class read_hints {
public:
  struct hint {
    entity_id id;
    version_t version;
    bool deleted;
    uint64_t sequence;
  };

  explicit read_hints(size_t capacity) : capacity_(capacity) {
  }

  /// Offers what a read that began at `sequence` saw (the value is not
  /// kept).
  void offer(const record& r, uint64_t sequence);

  /// Takes every hint waiting, oldest first.
  std::vector<hint> take();

private:
  size_t capacity_;
  std::mutex mtx_;
  std::vector<hint> waiting_;
};

} // namespace entact::storage::detail
