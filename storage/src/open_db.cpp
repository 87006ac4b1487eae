#include "open_db.hpp"

#include <string>

#include <rocksdb/cache.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/optimistic_transaction_db.h>

#include "dir_state.hpp"
#include "entact/errc.hpp"
#include "entact/storage/record_codec.hpp"
#include "recovery_log.hpp"
#include "status.hpp"

namespace entact::storage::detail {

namespace {

rocksdb::Options make_options(const store_options& opts) {
  rocksdb::Options options;
  // The target machines have 2 cores: one background flush and one
  // compaction thread, so background work never starves the actors.
  options.IncreaseParallelism(2);
  rocksdb::BlockBasedTableOptions table;
  // Reads are point lookups by entity key (read, GetForUpdate): a bloom
  // filter skips SST files that cannot hold the key, and a modest cache
  // keeps hot entities in memory without dominating a small machine.
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.block_cache = rocksdb::NewLRUCache(64 << 20);
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  // A damaged disk is never silently accepted (README, "Damaged disks").
  // RocksDB's default, point-in-time recovery, replays the WAL up to the
  // first damaged record and drops the rest without failing the open:
  // acknowledged writes vanish. kTolerateCorruptedTailRecords fails the
  // open on damage (a checksum mismatch, an unknown record type, a broken
  // fragment) and tolerates only what a crash leaves: a last record cut
  // short and zeroed preallocated bytes at the end. kAbsoluteConsistency
  // would refuse that torn tail too, i.e. every store after a SIGKILL;
  // kSkipAnyCorruptedRecords would replay around holes. paranoid_checks
  // (the default, stated here) is what makes the reported damage fail the
  // open instead of being logged. Salvage is point-in-time recovery on
  // request: the writes before the damage, reported drops.
  options.paranoid_checks = true;
  options.wal_recovery_mode
    = opts.salvage_wal ? rocksdb::WALRecoveryMode::kPointInTimeRecovery
                       : rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
  return options;
}

caf::error not_ours(const std::string& path, const std::string& why) {
  return make_error(errc::invalid_argument,
                    path + " is not an entact store: " + why
                      + "; refusing to open it (nothing was changed)");
}

caf::error check_format_entry(const std::string& stored) {
  if (stored.size() != 1)
    return make_error(errc::invalid_argument, "malformed format entry");
  auto found = static_cast<uint8_t>(stored[0]);
  if (found != format_version && found != twopc_format_version)
    return make_error(errc::invalid_argument,
                      "unknown format version " + std::to_string(found));
  return {};
}

std::string joined(const std::vector<std::string>& lines) {
  std::string all;
  for (const auto& line : lines)
    all += (all.empty() ? "" : "; ") + line;
  return all;
}

caf::error refused_open(const std::string& path, const rocksdb::Status& s,
                        const std::vector<std::string>& dropped) {
  if (s.IsCorruption() && !dropped.empty())
    return make_error(
      errc::storage_failure,
      "damaged write-ahead log in " + path + ": " + joined(dropped)
        + "; refusing to open it (nothing was changed). To keep the writes "
          "before the damage and drop the rest, open it with salvage_wal "
          "(entactd --salvage-wal)");
  if (s.IsInvalidArgument())
    return not_ours(path, s.ToString());
  return storage_error("opening " + path, s);
}

// A read-only open: it takes no lock and writes nothing (its info log is
// kept in memory), so a directory that turns out not to be an entact
// store, or a damaged one, is left exactly as it was. It replays the WAL
// once more than the real open does. Returns what recovery dropped.
caf::expected<std::vector<std::string>> look_inside(const store_options& opts) {
  auto options = make_options(opts);
  auto log = std::make_shared<recovery_log>();
  options.info_log = log;
  rocksdb::DB* raw = nullptr;
  auto s = rocksdb::DB::OpenForReadOnly(options, opts.path, &raw);
  std::unique_ptr<rocksdb::DB> db{raw};
  if (!s.ok())
    return refused_open(opts.path, s, log->lines());
  std::string stored;
  s = db->Get(rocksdb::ReadOptions{}, format_key(), &stored);
  if (s.IsNotFound())
    return not_ours(opts.path, "a RocksDB database without entact's format "
                               "entry \"mformat\"");
  if (!s.ok())
    return storage_error("reading the format entry of " + opts.path, s);
  if (auto err = check_format_entry(stored))
    return err;
  return log->lines();
}

// A new store's very first write: the format entry, synced. Until then the
// creation marker says whose files these are.
caf::error ensure_format(rocksdb::OptimisticTransactionDB& db,
                         const std::string& path, bool creating) {
  std::string stored;
  auto s = db.Get(rocksdb::ReadOptions{}, format_key(), &stored);
  if (s.IsNotFound() && creating) {
    rocksdb::WriteOptions wo;
    wo.sync = true;
    s = db.Put(wo, format_key(),
               std::string(1, static_cast<char>(format_version)));
    return s.ok() ? caf::error{} : storage_error("writing format entry", s);
  }
  if (s.IsNotFound())
    return not_ours(path, "its format entry is gone");
  if (!s.ok())
    return storage_error("reading format entry", s);
  return check_format_entry(stored);
}

} // namespace

caf::expected<opened_db> open_db(const store_options& opts) {
  if (opts.path.empty())
    return make_error(errc::invalid_argument, "store path is empty");
  if (opts.max_group_ops == 0)
    return make_error(errc::invalid_argument, "max_group_ops must be positive");
  auto dir = inspect_dir(opts.path);
  if (!dir)
    return std::move(dir.error());
  std::vector<std::string> dropped;
  switch (dir->kind) {
    case dir_kind::foreign:
      return not_ours(opts.path, "a non-empty directory (it holds \""
                                   + dir->example
                                   + "\") without a RocksDB database");
    case dir_kind::rocksdb: {
      auto found = look_inside(opts);
      if (!found)
        return std::move(found.error());
      dropped = std::move(*found);
      break;
    }
    case dir_kind::fresh:
      if (auto err = begin_creation(opts.path))
        return err;
      break;
    case dir_kind::interrupted:
      break;
  }
  bool creating = dir->kind != dir_kind::rocksdb;
  auto options = make_options(opts);
  options.create_if_missing = creating;
  rocksdb::OptimisticTransactionDB* raw = nullptr;
  auto s = rocksdb::OptimisticTransactionDB::Open(options, opts.path, &raw);
  if (!s.ok())
    return storage_error("opening " + opts.path, s);
  std::unique_ptr<rocksdb::OptimisticTransactionDB> db{raw};
  if (auto err = ensure_format(*db, opts.path, creating))
    return err;
  if (creating)
    if (auto err = end_creation(opts.path))
      return err;
  return opened_db{std::move(db), std::move(dropped)};
}

} // namespace entact::storage::detail
