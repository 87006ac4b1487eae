#pragma once

#include <memory>

#include <caf/expected.hpp>

#include "entact/storage/store_options.hpp"

namespace rocksdb {
class OptimisticTransactionDB;
} // namespace rocksdb

namespace entact::storage::detail {

/// Opens (or creates) the RocksDB directory of `opts` and checks its format
/// entry, writing it on a fresh database. Errors: `invalid_argument` (empty
/// path, no room for a group, unknown format version), `storage_failure`
/// (RocksDB refused to open, e.g. the directory is locked).
caf::expected<std::unique_ptr<rocksdb::OptimisticTransactionDB>>
open_db(const store_options& opts);

} // namespace entact::storage::detail
