#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include <caf/expected.hpp>

#include "commit_queue.hpp"
#include "entact/record.hpp"

namespace rocksdb {
class OptimisticTransactionDB;
} // namespace rocksdb

namespace entact::storage::detail {

class known_versions;
class prepared_set;

/// How many times a group is re-run after RocksDB saw a write from outside
/// before giving up with `storage_failure`. Each re-run reads fresh values,
/// so only a writer hammering the same keys continuously can exhaust it.
constexpr int max_group_attempts = 32;

/// What happened to one group.
struct group_result {
  /// One per batch, in queue order: the new records or the error.
  std::vector<caf::expected<std::vector<record>>> outcomes;
  /// True if a RocksDB transaction was committed.
  bool committed = false;
  /// Batches refused by the version rule while staging (conflict,
  /// not_found, version_overflow); read failures are not counted.
  uint64_t refused = 0;
  /// Attempts re-run because the commit returned `Busy` / `TryAgain`.
  uint64_t retries = 0;
  /// Ids read from RocksDB / taken from `known_versions`, all attempts.
  uint64_t ids_read = 0;
  uint64_t ids_known = 0;
};

/// Commits `group` as one optimistic transaction with `sync`. Every batch is
/// decided against the stored records or the group's own earlier writes; a
/// refused batch contributes nothing. The stored records come from `known`
/// (if not null) where it holds them, neither read nor tracked, and from
/// one `MultiGetForUpdate` for the rest; after a commit `known` holds what
/// the group read and wrote, after a failed one nothing. `before_commit`
/// (if set) runs after staging and before every commit attempt (tests).
/// A batch writing an id that a prepared transaction of `held` holds is
/// refused (`lock_timeout`) before it is decided.
group_result commit_group(rocksdb::OptimisticTransactionDB& db, bool sync,
                          const std::vector<pending_batch>& group,
                          const std::function<void()>& before_commit,
                          known_versions* known, const prepared_set& held);

} // namespace entact::storage::detail
