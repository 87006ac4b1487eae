#pragma once

#include <string>
#include <string_view>

#include <caf/error.hpp>

// Durable changes to a store's directory outside RocksDB: its creation
// marker (dir_state.cpp) and the partition layout file
// (partition_layout.cpp).

namespace entact::storage::detail {

/// `storage_failure` "<what> <path>: <strerror(err)>".
caf::error fs_error(const std::string& what, const std::string& path,
                    int err);

/// Makes the names created, renamed or removed in directory `path`
/// durable: until its directory is synced, a new name may vanish in a
/// crash even if the file's own data was synced. Errors: `storage_failure`.
caf::error sync_dir(const std::string& path);

/// Creates (or truncates) the file `path`, writes `text` into it and syncs
/// it. Its name is durable only once its directory is synced. Errors:
/// `storage_failure`.
caf::error write_synced(const std::string& path, std::string_view text);

} // namespace entact::storage::detail
