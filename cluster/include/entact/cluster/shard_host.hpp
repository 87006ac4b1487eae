#pragma once

#include <chrono>
#include <cstdint>
#include <set>
#include <string>

#include <caf/error.hpp>

namespace entact::cluster {

/// What a node does with its own data in a shard move: the cluster layer
/// steps the move through ZooKeeper, its host (the node's engine and a
/// client of the other node: cluster/mover) moves the records. Every call
/// may block; the node's cluster thread makes them.
class shard_host {
public:
  virtual ~shard_host() = default;

  /// Copies every record (tombstones too) of shard `shard` of `shards`
  /// from the node serving at `address` into this node's store, versions
  /// as they are and newer-only: a copy repeated, or overlapping an earlier
  /// one, never takes an id back in time. Errors: those of the client and
  /// of `storage::store::install`.
  virtual caf::error pull_shard(uint32_t shard, uint32_t shards,
                                const std::string& address)
    = 0;

  /// From its return on, refuses (`unavailable`) every write of an id of a
  /// shard in `fenced` (of `shards`); every write before is durable.
  /// Errors: `closed`.
  virtual caf::error fence_shards(const std::set<uint32_t>& fenced,
                                  uint32_t shards)
    = 0;

  /// True if a prepared two-phase-commit transaction holds an id of shard
  /// `shard`: a move must wait for it (its commit would write after the
  /// catch-up).
  virtual bool holds_prepared(uint32_t shard, uint32_t shards) = 0;

  /// How long after its last call an entity actor may still answer from
  /// its memory (its idle timeout, and the passivation check after it): a
  /// shard this process moved away is not taken back before, so no
  /// resident actor answers from what it held before the move.
  virtual std::chrono::milliseconds cache_lifetime() const = 0;
};

} // namespace entact::cluster
