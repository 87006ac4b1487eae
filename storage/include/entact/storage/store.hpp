#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>

#include "entact/engine_stats.hpp"
#include "entact/record.hpp"
#include "entact/scan.hpp"
#include "entact/storage/prepared.hpp"
#include "entact/storage/store_options.hpp"
#include "entact/write_op.hpp"

namespace rocksdb {
class OptimisticTransactionDB;
} // namespace rocksdb

namespace entact::storage {

/// Counters of a store, for tests and benchmarks.
struct store_stats {
  /// Group commits written (one RocksDB transaction, one WAL sync each).
  uint64_t groups = 0;
  /// Batches (atomic units) that committed.
  uint64_t batches_committed = 0;
  /// Batches refused (conflict, not_found, bad input, version overflow).
  uint64_t batches_refused = 0;
  /// Group commits retried because RocksDB detected a write from outside.
  uint64_t retries = 0;
  /// Ids whose stored record a group read from RocksDB.
  uint64_t ids_read = 0;
  /// Ids whose stored version a group took from what the committer knew.
  uint64_t ids_known = 0;
  /// CPU time the committer's two threads (the one deciding groups and
  /// the one writing them) have used, in nanoseconds, as of their last
  /// group: what the group path costs per write, read beside
  /// `batches_committed`.
  uint64_t committer_cpu_ns = 0;
  /// The writing thread's part of `committer_cpu_ns`.
  uint64_t writer_cpu_ns = 0;
  /// Entity writes in the batches that committed.
  uint64_t writes_committed = 0;
  /// Batches that spanned partitions (committed or not).
  uint64_t spanning_batches = 0;
  /// Partitions (each counter above sums over them).
  uint64_t partitions = 1;
  /// Batches per group commit, and seconds per group commit (from the
  /// group's reads to its durable commit, WAL sync included).
  bucket_counts group_batches;
  bucket_counts commit_seconds;
};

/// Durable home of all entities: one RocksDB `OptimisticTransactionDB` per
/// partition (`store_options::partitions`; one by default). An id lives in
/// the partition `partition_of` names. What follows is each partition's
/// committer; a batch whose ids live in several partitions is committed
/// atomically across them as span_steps.cpp describes (a hold of its ids
/// in every partition but the lowest, then the lowest's part with an
/// intent record in one synced write -- the commit point --, then the
/// others' parts): it costs two group commits in sequence instead of one.
/// Reads of several ids (`read_many`, `scan`) take one snapshot per
/// partition: a read that is not under a transaction's locks may see a
/// spanning batch's parts land one after the other.
///
/// Writes go through one committer that gathers the batches queued since
/// its last group: it learns the stored records of all the group's ids,
/// applies `decide` to every op (against the group's own earlier write
/// where there is one), and writes the group as one `WriteBatch`, with one
/// WAL sync when `sync` is on.
///
/// The committer is the only writer of its database (RocksDB's LOCK file
/// keeps other processes out; every path of entact writes through
/// `commit_async`), so it remembers the versions it read and committed
/// (`store_options::max_known_versions`) and reads only the ids it does not
/// know, all at once (`MultiGet`). It is a pipeline of two threads: one
/// decides group N+1 against group N's writes while the other writes N;
/// N+1 is written only after N is durable, and decided again from what is
/// stored if N's write failed. Callbacks run on the writing thread once
/// their group is durable. A failed write forgets all it knew.
///
/// Once something may write behind the store's back (`raw_db`, the
/// before-commit hook: tests), every group is one optimistic transaction
/// instead, which reads every id with `MultiGetForUpdate`: such a write
/// between the read and the commit makes RocksDB refuse the commit
/// (`Busy`); the group is then re-run from fresh reads, so a stale write
/// never lands.
///
/// Thread-safe. `rocksdb::Status` never leaves this class: errors are
/// entact's `errc`.
class store {
public:
  /// Called once per batch, on a committer thread, after the commit is
  /// durable (or refused). Must not block, throw, or call `commit` (it
  /// would wait for the committer thread itself). Exception: a batch
  /// refused before it is queued (empty, invalid op, store closed) gets its
  /// callback right away on the thread that called `commit_async`.
  using commit_callback
    = std::function<void(caf::expected<std::vector<record>>)>;

  /// Opens the store at `opts.path`, or creates one in an empty or missing
  /// directory; recovers everything committed before. Errors:
  /// `invalid_argument` (empty path, `max_group_ops == 0`, a directory
  /// that is not an entact store, data written in an unknown format
  /// version), `storage_failure` (a damaged write-ahead log without
  /// `salvage_wal`; RocksDB could not open, e.g. locked by another
  /// process). A refused directory is left unchanged.
  static caf::expected<std::unique_ptr<store>> open(store_options opts);

  /// Commits everything queued, stops the committer thread, flushes the
  /// memtable to table files and closes RocksDB.
  /// Must not run on the committer thread (i.e. inside a commit callback).
  ~store();

  store(const store&) = delete;
  store& operator=(const store&) = delete;

  /// Reads the latest committed record of `id`. An entity that never
  /// existed reads as `record{id, no_version}`; a deleted one as its
  /// tombstone. Errors: `invalid_argument`/`too_large` (bad id),
  /// `storage_failure`.
  caf::expected<record> read(std::string_view id) const;

  /// Reads several records from one consistent snapshot (same conventions as
  /// `read`, results in the order of `ids`). Errors as `read`, and
  /// `too_large` for more than `limits.max_read_ids` ids or a reply of
  /// more than `limits.max_read_bytes` (ids and values; refused as soon as
  /// the records read so far cross it).
  caf::expected<std::vector<record>>
  read_many(const std::vector<entity_id>& ids) const;

  /// Reads one page of entity records from one snapshot: those whose id
  /// starts with `req.prefix` and sorts strictly after `req.after`, in id
  /// order (bytewise), tombstones only with `req.include_deleted`; at most
  /// `page_limit(req, limits)` records (`req.limit`, cut at
  /// `limits.max_scan_records`) and at most `limits.max_read_bytes` bytes of ids
  /// and values (a page holds at least one record, even one over that
  /// bound). Metadata keys are never listed. `next_after` is set iff more
  /// may follow. Errors: `invalid_argument`/`too_large` (see
  /// `validate_scan`), `storage_failure`.
  caf::expected<scan_page> scan(const scan_request& req) const;

  /// Queues `ops` as one atomic batch: all of them commit or none. Ops
  /// apply in order, so a later op on the same id sees an earlier one.
  /// Batches commit in the order they were queued. `done` receives the new
  /// records (in op order) or the first error: `conflict` (with payload),
  /// `not_found`, `version_overflow`, `invalid_argument`, `too_large` (the
  /// batch is refused, nothing of it written), `storage_failure` (nothing
  /// written), `in_doubt` (the sync failed: read before retrying), or
  /// `closed` (the store is shutting down).
  void commit_async(std::vector<write_op> ops, commit_callback done);

  /// Blocking form of `commit_async`. Must not be called from a commit
  /// callback.
  caf::expected<std::vector<record>> commit(std::vector<write_op> ops);

  // Two-phase commit (README, "Two-phase commit: storage"). Each call that
  // writes runs on the committer thread, alone, after every batch queued
  // before it and before every batch queued after it: that is what orders
  // a prepare against a normal commit of the same id. Each is one atomic
  // RocksDB write, synced whatever `store_options::sync` says (a vote or a
  // decision must survive a machine crash), and sets the store's format
  // entry to `twopc_format_version`. None may be called from a commit
  // callback.

  /// Prepares `req.ops` as transaction `req.txn`: decides every op against
  /// the stored records exactly as `commit` does (`decide`, a later op on
  /// the same id seeing the earlier one) and, if all pass, durably writes
  /// the prepared record -- the ops with the versions they were based on --
  /// without applying any. From then on the ids are held: a `commit` or a
  /// `prepare` touching one is refused (`lock_timeout`) until the
  /// transaction is committed or aborted, across restarts too. Preparing
  /// the same `txn` with the same ops again returns the record already
  /// prepared (a resent vote). Errors (nothing written): `conflict`,
  /// `not_found`, `version_overflow` (as `commit`), `lock_timeout` (an id
  /// held by another prepared transaction), `invalid_argument` (bad txn id
  /// or op, no ops, `txn` already prepared with other ops), `too_large`
  /// (more than `max_prepared_writes` ops, prepared records of more than
  /// `max_prepared_bytes` together, `max_prepared` transactions already
  /// prepared, bounds of prepared.hpp), `storage_failure`, `in_doubt` (the sync
  /// failed), `closed`.
  caf::expected<prepared_txn> prepare(prepare_request req);

  /// Applies prepared transaction `txn`: its writes get new versions exactly
  /// as a normal commit's would, and its prepared record is deleted, in one
  /// atomic write; `on_commit` is told the records. Returns them in op
  /// order. Errors: `unknown_transaction` (never prepared, or already
  /// committed or aborted: nothing is written twice), `invalid_argument`
  /// (bad txn id), `storage_failure` (nothing written; also if a write
  /// behind the store's back changed a held id), `in_doubt`, `closed`.
  caf::expected<std::vector<record>> commit_prepared(std::string_view txn);

  /// As `commit_prepared`, and records the decision `commit` for `txn`
  /// (with the prepared record's participants) in the same atomic write:
  /// the decision holder's own commit is its decision (Percolator's
  /// primary). Errors as `commit_prepared`, and `invalid_argument` if an
  /// `abort` decision is recorded for `txn`.
  caf::expected<std::vector<record>>
  commit_prepared_as_decision(std::string_view txn);

  /// Deletes prepared transaction `txn`: nothing of it is applied and its
  /// ids are free again. Errors: `unknown_transaction` (never prepared, or
  /// already resolved), `invalid_argument`, `storage_failure`, `in_doubt`,
  /// `closed`.
  caf::error abort_prepared(std::string_view txn);

  /// Every transaction prepared and not yet resolved, by txn id: after
  /// `open`, what was prepared before the restart, so that the actor layer
  /// can hold their ids again before it serves.
  std::vector<prepared_txn> prepared() const;

  /// Durably records the outcome `d` (`commit` or `abort`) of `txn`, for
  /// the participants to ask (`decision_of`). Recording the same outcome
  /// again is a no-op; a decision is never changed. Errors:
  /// `invalid_argument` (bad txn id, `d == none`, another outcome already
  /// recorded), `too_large` (bounds of prepared.hpp), `storage_failure`,
  /// `in_doubt`, `closed`.
  caf::error record_decision(std::string_view txn, decision d,
                             std::vector<std::string> participants);

  /// The outcome recorded for `txn`, `decision::none` if there is none.
  /// Errors: `invalid_argument`/`too_large` (bad txn id), `storage_failure`
  /// (unreadable or damaged record).
  caf::expected<decision> decision_of(std::string_view txn) const;

  /// Deletes the decision record of `txn`, once every participant has
  /// acknowledged it. Errors: `unknown_transaction` (none recorded),
  /// `invalid_argument`, `storage_failure`, `in_doubt`, `closed`.
  caf::error forget_decision(std::string_view txn);

  /// One page of decision records in txn-id order: at most `limit`
  /// (clamped to `max_decisions_listed`) of those whose txn id is greater
  /// than `after` (empty: from the first). A page shorter than `limit` is
  /// the last. Errors: `invalid_argument` (`limit` 0, a bad `after`),
  /// `storage_failure` (unreadable or damaged record, naming it).
  caf::expected<std::vector<decision_info>>
  decisions(std::string_view after, size_t limit) const;

  /// How many decision records the store keeps (a walk over their keys
  /// only). Errors: `storage_failure`.
  caf::expected<uint64_t> decision_count() const;

  // Shard moves (README, "Moving a shard"). Both run on the committer
  // thread, alone between groups (as the 2PC steps), and must not be called
  // from a commit callback.

  /// Writes `records` as they are, versions included, each only if it is
  /// newer than the stored record of its id (or the id was never stored):
  /// one atomic, synced RocksDB write, so a retried install never takes an
  /// id back in time. The committer learns what it wrote. Returns how many
  /// were written. Errors (nothing written): `invalid_argument`/`too_large`
  /// (a bad id or value, a record without a version, more than
  /// `max_install_records`), `storage_failure`, `in_doubt` (the sync
  /// failed), `closed`.
  caf::expected<size_t> install(const std::vector<record>& records);

  /// The most records one `install` takes.
  static constexpr size_t max_install_records = 4096;

  /// Replaces the write fence with `refuse` (an empty function lifts it).
  /// Once this returns, every batch committed before is durable, and every
  /// later batch or prepare naming an id for which `refuse(id)` is true
  /// fails with `unavailable` (nothing of it written); `install`,
  /// `commit_prepared` and `abort_prepared` are not fenced. `refuse` runs
  /// on the committer thread: it must be quick and must not block. Errors:
  /// `closed`.
  caf::error fence(std::function<bool(const entity_id&)> refuse);

  /// Stops accepting writes (later commits fail with `closed`), commits
  /// everything already queued, stops the committer thread and flushes the
  /// memtable, so no acknowledged write lives only in the WAL. Reads keep
  /// working until the store is destroyed. Idempotent; the destructor calls
  /// it. Called from a commit callback it only stops accepting.
  void close();

  /// What opening with `salvage_wal` dropped, as RocksDB reported it: per
  /// damaged log "<log>: dropping N bytes; Corruption: <why>", then the
  /// point recovered to ("Point in time recovered to log #N seq #M"; the
  /// writes after it are lost). Empty when nothing was dropped.
  const std::vector<std::string>& salvage_report() const noexcept;

  /// Returns the counters so far.
  store_stats stats() const;

  /// Returns the options the store was opened with (`partitions`: the
  /// count it has).
  const store_options& options() const noexcept;

  /// RocksDB's unique identity of this database (its IDENTITY file; of the
  /// first partition for several); empty if it cannot be read.
  std::string identity() const;

  /// The partition `id` lives in, of `count`: a stable hash, fixed
  /// forever for stored data.
  static size_t partition_of(std::string_view id, size_t count) noexcept;

  /// The underlying database (the first partition's), for tests that write
  /// behind the store's back.
  /// From this call on the store no longer takes itself for the only
  /// writer: it waits for a group under way to commit, and every later
  /// group reads (and tracks) every id it writes, so a write through this
  /// pointer is seen by the next group or refuses its commit. Not part of
  /// the stable API.
  rocksdb::OptimisticTransactionDB* raw_db() noexcept;

  /// Testing only: `hook` runs on the committer thread after a group has
  /// read and decided everything and before each commit attempt, so a test
  /// can write through `raw_db()` exactly there and provoke RocksDB's
  /// conflict check (as `raw_db`, it ends the store's trust in being the
  /// only writer). An empty function removes it. Not part of the stable
  /// API.
  void set_before_commit_hook(std::function<void()> hook);

  /// The state behind a store (opaque; named here for storage's own
  /// source files).
  struct impl;

private:
  explicit store(std::unique_ptr<impl> ptr);
  std::unique_ptr<impl> impl_;
};

} // namespace entact::storage
