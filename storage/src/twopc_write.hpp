#pragma once

#include <string_view>

#include <caf/error.hpp>

namespace rocksdb {
class DB;
class WriteBatch;
} // namespace rocksdb

namespace entact::storage::detail {

/// Writes `batch` (one 2PC step) atomically and synced, whatever the
/// store's `sync` option: a vote, a decision or a resolution must survive a
/// machine crash, or another node acts on a step this one forgot. Adds the
/// format entry `twopc_format_version` to the batch, so that a build
/// without 2PC refuses the store from this write on. Errors:
/// `storage_failure` (nothing written), `in_doubt` (the sync failed: the
/// write may be durable).
caf::error write_twopc(rocksdb::DB& db, rocksdb::WriteBatch& batch,
                       std::string_view what);

} // namespace entact::storage::detail
