#pragma once

#include <cstdint>
#include <functional>
#include <unordered_map>
#include <utility>
#include <vector>

#include <rocksdb/write_batch.h>

#include <caf/expected.hpp>

#include "commit_queue.hpp"
#include "entact/record.hpp"

namespace rocksdb {
class OptimisticTransactionDB;
class Status;
} // namespace rocksdb

namespace entact::storage::detail {

class known_versions;
class prepared_set;
class span_holds;

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
  /// Span steps (span_steps.cpp): ids its holds took, spans its applies
  /// free once durable, spans freed as soon as decided (a refused span's
  /// release, which writes nothing), and whether it has any step that
  /// writes (then it is synced).
  std::vector<std::pair<uint64_t, entity_id>> new_holds;
  std::vector<uint64_t> released;
  std::vector<uint64_t> released_now;
  bool span_steps = false;
  /// Batches (indices into the group) that wait for a span to free their
  /// ids: not decided, to be queued again (their outcomes are placeholders).
  std::vector<size_t> waiting;
  /// The commit failed (or kept conflicting): nothing was written.
  bool write_failed = false;
};

/// The records a group writes, by id.
using overlay = std::unordered_map<entity_id, record>;

/// A group decided but not yet written (see `decide_group`).
struct decided_group {
  /// One per batch, in queue order: the new records or the error. Valid
  /// only once `batch` is durable.
  std::vector<caf::expected<std::vector<record>>> outcomes;
  /// What the group writes, and the same encoded for RocksDB.
  overlay writes;
  rocksdb::WriteBatch batch;
  /// Records the group read from RocksDB (not written by it): what the
  /// committer may remember once the batch is durable, with `writes`.
  std::vector<record> read;
  uint64_t refused = 0;
  uint64_t ids_read = 0;
  uint64_t ids_known = 0;
  /// As `group_result`'s: taken into the partition's `span_holds` once
  /// decided (holds) and once durable (releases); written synced.
  std::vector<std::pair<uint64_t, entity_id>> new_holds;
  std::vector<uint64_t> released;
  std::vector<uint64_t> released_now;
  bool span_steps = false;
  std::vector<size_t> waiting;
};

/// Decides `group` without a transaction, for a committer that is the only
/// writer of `db`: every batch against `in_flight` (the writes of the group
/// before, decided but maybe not yet durable; may be null), then `known`
/// (may be null), then one `MultiGet` for the rest. Writes nothing and
/// changes neither `known` nor `in_flight`: the caller writes `batch` and,
/// once it is durable, may remember `writes` and `read` (if the write
/// fails, everything decided on it must be decided again). Batches writing
/// an id held by a prepared transaction of `held` are refused as in
/// `commit_group`.
decided_group decide_group(rocksdb::OptimisticTransactionDB& db,
                           const std::vector<pending_batch>& group,
                           const overlay* in_flight,
                           const known_versions* known,
                           const prepared_set& held,
                           const span_holds& spans);

/// The refusal of a write to `id` held by a batch spanning partitions
/// (`lock_timeout`), and whether `err` is one: a span refused so is tried
/// again once another span ended (span_steps.cpp).
caf::error span_held_error(const entity_id& id);
bool is_span_held(const caf::error& err);

/// The error of a commit that RocksDB refused with `s`: `in_doubt` for an
/// I/O error with `sync` on (the WAL record may have reached the disk),
/// `storage_failure` otherwise (nothing written).
caf::error commit_error(const rocksdb::Status& s, bool sync);

/// Replaces every successful outcome by `err` (a group that was not
/// written: its refusals stand).
void fail_staged(std::vector<caf::expected<std::vector<record>>>& outcomes,
                 const caf::error& err);

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
                          known_versions* known, const prepared_set& held,
                          const span_holds& spans);

} // namespace entact::storage::detail
