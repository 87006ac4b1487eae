#pragma once

#include <cstdint>
#include <vector>

#include <caf/meta/type_name.hpp>

namespace entact {

/// Observations counted into buckets with fixed upper bounds (a histogram
/// without its exposition format: the HTTP gateway's `/metrics` turns it
/// into a Prometheus histogram).
struct bucket_counts {
  /// Upper bounds of the buckets, ascending.
  std::vector<double> bounds;
  /// `counts[i]`: observations above `bounds[i-1]` and at most `bounds[i]`
  /// (not cumulative); one more entry than `bounds`, for those above all.
  std::vector<uint64_t> counts;
  /// Sum of all observed values.
  double sum = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, bucket_counts& x) {
  return f(caf::meta::type_name("entact::bucket_counts"), x.bounds, x.counts,
           x.sum);
}

/// Counters of an engine, for operators and tests. All but `resident` and
/// `calls_in_flight` only grow while the engine is open.
struct engine_stats {
  /// Entity actors currently alive.
  uint64_t resident = 0;
  /// Entity actors spawned since the engine opened.
  uint64_t activations = 0;
  /// Entity actors stopped because they were idle or over the resident cap.
  uint64_t passivations = 0;
  /// Modifications (`modify`) acknowledged as committed.
  uint64_t modifications = 0;
  /// Store writes that carried them: fewer than `modifications` when
  /// modifications queued at one entity were coalesced.
  uint64_t modify_writes = 0;
  /// Group commits written (one RocksDB transaction, one WAL sync each).
  uint64_t commit_groups = 0;
  /// Batches (atomic units: one write, an `apply_batch`, a transaction's
  /// commit) that committed, and the entity writes in them.
  uint64_t batches_committed = 0;
  uint64_t writes_committed = 0;
  /// Batches the store refused by the version rule (a conflict, a write to
  /// an absent entity, a version overflow).
  uint64_t batches_refused = 0;
  /// Group commits re-run because RocksDB saw a write from outside.
  uint64_t commit_retries = 0;
  /// Partitions of the store, and the batches that spanned several (each
  /// committed in two group commits, see README "Partitions").
  uint64_t partitions = 1;
  uint64_t spanning_batches = 0;
  /// Calls refused with `overloaded`: more than `max_calls_in_flight` at
  /// once, or more than `max_queue_per_entity` writes queued at an entity.
  uint64_t overloaded = 0;
  /// Calls from threads (the C++ API, HTTP) in flight now.
  uint64_t calls_in_flight = 0;
  /// Pessimistic transactions begun (each attempt of `transact` counts),
  /// and those that committed.
  uint64_t txn_begun = 0;
  uint64_t txn_committed = 0;
  /// Transactions that ended without committing, by why: entry `i` counts
  /// those ended by `errc` `i` (`aborted` by wait-die or their owner,
  /// `lease_expired`, `lock_timeout`, `conflict`, `in_doubt`, ...).
  std::vector<uint64_t> txn_aborted;
  /// Batches per group commit.
  bucket_counts group_batches;
  /// Seconds per group commit (read, stage, commit with its WAL sync).
  bucket_counts commit_seconds;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, engine_stats& x) {
  return f(caf::meta::type_name("entact::engine_stats"), x.resident,
           x.activations, x.passivations, x.modifications, x.modify_writes,
           x.commit_groups, x.batches_committed, x.writes_committed,
           x.batches_refused, x.commit_retries, x.partitions,
           x.spanning_batches, x.overloaded,
           x.calls_in_flight, x.txn_begun, x.txn_committed, x.txn_aborted,
           x.group_batches, x.commit_seconds);
}

} // namespace entact
