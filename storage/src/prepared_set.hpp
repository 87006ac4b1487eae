#pragma once

#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "entact/storage/prepared.hpp"

namespace entact::storage::detail {

/// The transactions prepared at a store and the ids they hold, in memory:
/// loaded at open, then changed by the committer thread alone, after each
/// durable 2PC write. So the committer reads it without locking (no one
/// else changes it); other threads read through the locking calls.
class prepared_set {
public:
  /// Adds `t`, whose record takes `bytes` encoded, and holds its ids
  /// (committer, or open before it starts).
  void add(prepared_txn t, size_t bytes);

  /// Removes `txn` and frees its ids (committer).
  void remove(const std::string& txn);

  /// The prepared transaction `txn`, if any (locks).
  std::optional<prepared_txn> find(const std::string& txn) const;

  /// Every prepared transaction, by txn id (locks).
  std::vector<prepared_txn> list() const;

  /// How many are prepared (locks).
  size_t size() const;

  /// The transaction holding `id`, or null. Committer only, no lock.
  const std::string* holder_of(const entity_id& id) const;

  /// The encoded bytes of all records held in memory. Committer only.
  size_t bytes() const noexcept {
    return bytes_;
  }

  /// True if no id is held. Committer only, no lock.
  bool none_held() const noexcept {
    return held_.empty();
  }

private:
  mutable std::mutex mtx_;
  struct entry {
    prepared_txn txn;
    size_t bytes;
  };
  std::map<std::string, entry> txns_;
  std::unordered_map<entity_id, std::string> held_;
  size_t bytes_ = 0;
};

} // namespace entact::storage::detail
