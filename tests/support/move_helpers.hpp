#pragma once

// What the shard-move tests share: ids of one shard, and waiting for a
// move to end.

#include <chrono>
#include <string>
#include <vector>

#include "entact/cluster/cluster_admin.hpp"
#include "entact/cluster/move_admin.hpp"
#include "entact/cluster/shard_hash.hpp"
#include "support/wait_until.hpp"

namespace entact::test {

/// `n` ids "<prefix><i>" of shard `shard` (of `shards`).
inline std::vector<std::string> ids_in_shard(const std::string& prefix,
                                             uint32_t shard, uint32_t shards,
                                             int n) {
  std::vector<std::string> out;
  for (int i = 0; static_cast<int>(out.size()) < n; ++i)
    if (auto id = prefix + std::to_string(i);
        cluster::shard_of(id, shards) == shard)
      out.push_back(id);
  return out;
}

/// The first shard `owner` owns in `view`.
inline uint32_t shard_of_node(const cluster::cluster_view& view,
                              const std::string& owner) {
  for (auto& e : view.map)
    if (e.record.owner == owner)
      return e.shard;
  throw std::runtime_error(owner + " owns no shard");
}

/// True once no move of `shard` is in progress (within `limit`).
inline bool wait_move_ended(cluster::zk_session& admin,
                            const std::string& name, uint32_t shard,
                            std::chrono::milliseconds limit
                            = std::chrono::seconds{60}) {
  return wait_until(
    [&] {
      auto moves = cluster::read_moves(admin, name);
      if (!moves)
        return false;
      for (auto& m : *moves)
        if (m.shard == shard)
          return false;
      return true;
    },
    limit, std::chrono::milliseconds{20});
}

/// The move of `shard` as read now, if any.
inline std::optional<cluster::move_entry>
move_of(cluster::zk_session& admin, const std::string& name, uint32_t shard) {
  auto moves = cluster::read_moves(admin, name);
  if (moves)
    for (auto& m : *moves)
      if (m.shard == shard)
        return m;
  return std::nullopt;
}

} // namespace entact::test
