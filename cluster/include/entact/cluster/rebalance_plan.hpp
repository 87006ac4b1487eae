#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "entact/cluster/cluster_admin.hpp"

namespace entact::cluster {

/// One move of a rebalance: shard `shard` from its owner `from` to `to`.
struct planned_move {
  uint32_t shard = 0;
  std::string from;
  std::string to;
};

/// A shard whose owner is not a live member.
struct stranded_shard {
  uint32_t shard = 0;
  std::string owner;
};

/// What a rebalance of a map would do.
struct rebalance_plan {
  /// The moves, to run one at a time in this order: the shards of drained
  /// nodes first, then those a node holds beyond its share, each in shard
  /// order. Empty if the map is balanced already.
  std::vector<planned_move> moves;
  /// Shards left where they are because their owner is down: a move
  /// copies from the owner, whose store is the only one holding the
  /// shard's data, so these wait for their node to come back.
  std::vector<stranded_shard> unavailable;
  /// Shards never owned: `assign_unowned` gives them out, not a rebalance.
  std::vector<uint32_t> unowned;
  /// Shards per live member once the moves are done (drained ones: 0).
  std::map<std::string, uint32_t> shares;
};

/// Plans the fewest moves after which every live member not in `drain`
/// owns floor or ceil of S / N shards (S the shards owned by live members,
/// N the live members not drained) and every drained live member owns
/// none. The members that own the most now keep the larger shares (ties:
/// the smallest id), and each shard moved goes to the member with the
/// most room left (ties: the smallest id): a pure function, the same plan
/// for the same input. Shards of members that are not live, and shards
/// never owned, are reported and not moved.
/// Errors: `errc::unavailable` (shards owned by live members but every
/// live member is drained: nowhere to put them).
caf::expected<rebalance_plan> plan_rebalance(
  const cluster_view& view, const std::set<std::string>& drain = {});

} // namespace entact::cluster
