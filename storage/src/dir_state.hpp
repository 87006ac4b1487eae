#pragma once

#include <string>

#include <caf/expected.hpp>

namespace entact::storage::detail {

/// What a store directory holds before RocksDB is let near it.
enum class dir_kind {
  /// Missing, or empty (a `lost+found` alone counts as empty): a new store.
  fresh,
  /// Holds entact's creation marker: a creation that was cut short.
  interrupted,
  /// Holds a RocksDB database (its `CURRENT` file), entact's or not.
  rocksdb,
  /// Anything else: not ours to touch.
  foreign,
};

struct dir_state {
  dir_kind kind = dir_kind::fresh;
  /// For `foreign`: one entry found there, for the message.
  std::string example;
};

/// Looks at `path` without changing it. Errors: `storage_failure` (the
/// path cannot be read, or is not a directory).
caf::expected<dir_state> inspect_dir(const std::string& path);

/// Creates `path` if missing and durably writes the creation marker into
/// it. Errors: `storage_failure`.
caf::error begin_creation(const std::string& path);

/// Durably removes the creation marker from `path`. Errors:
/// `storage_failure`.
caf::error end_creation(const std::string& path);

} // namespace entact::storage::detail
