#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "entact/limits.hpp"
#include "entact/record.hpp"

namespace entact::storage {

/// How a `store` opens its RocksDB directory.
struct store_options {
  /// The RocksDB directory: an entact store, or an empty or missing
  /// directory (created as a new store). Anything else is refused.
  std::string path;
  /// Sync the WAL before acknowledging a commit. Off trades durability of
  /// the last moments before a machine crash for speed (a process crash
  /// loses nothing either way).
  bool sync = true;
  /// Upper bound of write ops gathered into one group commit.
  size_t max_group_ops = 4096;
  /// Size limits checked on every op before it reaches RocksDB.
  entact::limits limits;
  /// Open a store whose write-ahead log is damaged: keep the writes before
  /// the first damage and drop everything after it (RocksDB's point-in-time
  /// recovery); `store::salvage_report` says what was dropped. Off, such a
  /// store is refused and left untouched. Acknowledged writes are lost:
  /// for an operator who chose that, never a default.
  bool salvage_wal = false;
  /// How many ids the committer remembers the stored version of (about 70
  /// bytes each plus the id), so a group reads only the others: as the only
  /// writer of its database it knows what it committed. Past the bound it
  /// forgets all and reads again. 0: read every id of every group.
  size_t max_known_versions = size_t{1} << 18;
  /// Two-phase commit bounds (see `store::prepare`): most transactions
  /// prepared at once, most ops in one, and most bytes of all prepared
  /// records together (ops and names, encoded: they stay in memory until
  /// resolved). Records already on disk are loaded whatever the bounds: a
  /// prepared vote is never dropped.
  size_t max_prepared = 1024;
  size_t max_prepared_writes = 64;
  size_t max_prepared_bytes = 64 * 1024 * 1024;
  /// Told every record the store commits, once per committed batch, on
  /// a committer thread (the writing one, or the deciding one for a 2PC
  /// step; never both at once) after the commit is durable and before any
  /// of the group's callbacks run: batches in the order they committed,
  /// each batch's records in op order. So the records of one id come in
  /// version order, across groups too (one committer). Every write goes
  /// through the store, so this sees every change: watches are built on it.
  /// Must not block, throw, or call `commit`. Empty: nobody is told.
  std::function<void(const std::vector<record>&)> on_commit = nullptr;
  /// Testing only: asked on the writing thread before each group's write;
  /// true fails that write as a RocksDB I/O error would, with nothing
  /// written, while the store goes on (RocksDB itself stops writing after a
  /// real one): so tests can fail one group in the middle of the pipeline.
  /// Must not block or throw. Empty: never.
  std::function<bool()> fail_write_for_test = nullptr;
  /// How many partitions the store keeps its entities in: each a RocksDB
  /// database of its own (`path`/p0 .. p<N-1>) with its own WAL and
  /// committer, so that their syncs run in parallel; an id lives in one,
  /// chosen by hash. Fixed when the store is created: 0 opens whatever the
  /// directory holds (1 for a new store), another count than it holds is
  /// refused. 1 is the single database at `path` itself.
  size_t partitions = 0;
  /// Testing only: told each step of a batch spanning partitions as it
  /// completes -- "span-held" (every hold answered, nothing written),
  /// "span-led" (the lead's part and the intent durable: the commit point),
  /// "span-applied" (every part durable, the intent not yet deleted) -- on
  /// a committer thread, so a test can crash the process exactly there.
  /// Must not block. Empty: nobody is told.
  std::function<void(const char* step)> span_test_hook = nullptr;
};

} // namespace entact::storage
