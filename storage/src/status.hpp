#pragma once

#include <string_view>

#include <caf/error.hpp>

namespace rocksdb {
class Status;
} // namespace rocksdb

namespace entact::storage::detail {

/// Converts a failed RocksDB status into `errc::storage_failure`, keeping
/// RocksDB's text as the detail: `rocksdb::Status` never leaves storage.
caf::error storage_error(std::string_view what, const rocksdb::Status& s);

} // namespace entact::storage::detail
