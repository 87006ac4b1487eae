#pragma once

#include <string>

namespace entact::storage {

/// Name of the file a new store's creation writes into its directory
/// before RocksDB makes any file there, and removes once the format entry
/// is durable. A directory holding it is an entact store whose creation
/// was cut short (the next open finishes it), never a foreign directory.
std::string creation_marker();

} // namespace entact::storage
