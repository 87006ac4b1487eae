#pragma once

#include <memory>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "entact/storage/store_options.hpp"

namespace rocksdb {
class OptimisticTransactionDB;
} // namespace rocksdb

namespace entact::storage::detail {

/// An open database and what its recovery dropped (only ever non-empty
/// with `salvage_wal`).
struct opened_db {
  std::unique_ptr<rocksdb::OptimisticTransactionDB> db;
  std::vector<std::string> dropped;
};

/// Opens the entact store at `opts.path`, or creates one in an empty or
/// missing directory. Refuses, changing nothing on disk: a directory that
/// is not an entact store (`invalid_argument`), a store in an unknown
/// format version (`invalid_argument`), a store whose write-ahead log is
/// damaged unless `salvage_wal` (`storage_failure`). Other errors:
/// `invalid_argument` (empty path, no room for a group), `storage_failure`
/// (RocksDB or the filesystem refused, e.g. the directory is locked).
caf::expected<opened_db> open_db(const store_options& opts);

} // namespace entact::storage::detail
