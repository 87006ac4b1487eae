#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "entact/entity_id.hpp"
#include "entact/write_op.hpp"

namespace entact::detail {

/// The ids an optimistic batch may already have written in storage while
/// their entity actors have not yet learned it.
///
/// A batch commits without its entities' locks, and its records reach the
/// entities only after the commit, in `publish` messages. In between,
/// `read` (storage) shows the new record while the entity's cache still
/// holds the old one. So the coordinator marks a batch's ids before handing
/// it to the store, and each mark is removed once the entity (or the router,
/// for an entity not resident) has processed the batch's `publish`. An
/// entity whose id is marked does not trust its cache: it reads storage.
///
/// Thread-safe. A check costs one atomic load while no batch is in flight,
/// one short lock of a shard otherwise.
class unpublished {
public:
  /// Marks every id of `ops`; call before the batch reaches the store.
  void mark(const std::vector<write_op>& ops);

  /// Removes one mark of `id`; call once its entity has learned the
  /// batch's outcome (or is not resident, so will load it from storage).
  void unmark(const entity_id& id);

  /// True while a batch that marked `id` is unpublished.
  bool contains(const entity_id& id) const;

private:
  struct shard {
    mutable std::mutex mtx;
    std::unordered_map<entity_id, uint32_t> marks;
  };

  shard& shard_of(const entity_id& id) const;

  static constexpr size_t shard_count = 32;
  mutable std::array<shard, shard_count> shards_;
  /// Marks in all shards: zero in the common case, read without a lock.
  std::atomic<size_t> total_{0};
};

} // namespace entact::detail
