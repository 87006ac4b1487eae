#pragma once

#include <cstddef>
#include <string>

#include "entact/limits.hpp"

namespace entact::storage {

/// How a `store` opens its RocksDB directory.
struct store_options {
  /// The RocksDB directory; created if missing.
  std::string path;
  /// Sync the WAL before acknowledging a commit. Off trades durability of
  /// the last moments before a machine crash for speed (a process crash
  /// loses nothing either way).
  bool sync = true;
  /// Upper bound of write ops gathered into one group commit.
  size_t max_group_ops = 4096;
  /// Size limits checked on every op before it reaches RocksDB.
  entact::limits limits;
};

} // namespace entact::storage
