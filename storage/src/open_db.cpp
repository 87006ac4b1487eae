#include "open_db.hpp"

#include <string>

#include <rocksdb/cache.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/optimistic_transaction_db.h>

#include "entact/errc.hpp"
#include "entact/storage/record_codec.hpp"
#include "status.hpp"

namespace entact::storage::detail {

namespace {

rocksdb::Options make_options() {
  rocksdb::Options options;
  options.create_if_missing = true;
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
  return options;
}

caf::error check_format(rocksdb::OptimisticTransactionDB& db) {
  std::string stored;
  auto s = db.Get(rocksdb::ReadOptions{}, format_key(), &stored);
  if (s.IsNotFound()) {
    rocksdb::WriteOptions wo;
    wo.sync = true;
    s = db.Put(wo, format_key(),
               std::string(1, static_cast<char>(format_version)));
    return s.ok() ? caf::error{} : storage_error("writing format entry", s);
  }
  if (!s.ok())
    return storage_error("reading format entry", s);
  if (stored.size() != 1)
    return make_error(errc::invalid_argument, "malformed format entry");
  auto found = static_cast<uint8_t>(stored[0]);
  if (found != format_version)
    return make_error(errc::invalid_argument,
                      "unknown format version " + std::to_string(found));
  return {};
}

} // namespace

caf::expected<std::unique_ptr<rocksdb::OptimisticTransactionDB>>
open_db(const store_options& opts) {
  if (opts.path.empty())
    return make_error(errc::invalid_argument, "store path is empty");
  if (opts.max_group_ops == 0)
    return make_error(errc::invalid_argument, "max_group_ops must be positive");
  rocksdb::OptimisticTransactionDB* raw = nullptr;
  auto s = rocksdb::OptimisticTransactionDB::Open(make_options(), opts.path,
                                                  &raw);
  if (!s.ok())
    return storage_error("opening " + opts.path, s);
  std::unique_ptr<rocksdb::OptimisticTransactionDB> db{raw};
  if (auto err = check_format(*db))
    return err;
  return db;
}

} // namespace entact::storage::detail
