// The plan of `entact cluster rebalance` (README, "Moving a shard"): which
// shards to move where so that the live members own equal shares. Pure: it
// reads a map and changes nothing; the moves run through start_move.

#include "entact/cluster/rebalance_plan.hpp"

#include <algorithm>

#include "entact/errc.hpp"

namespace entact::cluster {

namespace {

/// A live member that keeps shards: what it owns now and its share.
struct keeper {
  std::string node;
  std::vector<uint32_t> owned; // in shard order
  uint32_t share = 0;
  uint32_t room = 0; // shards still to receive
};

/// The shares: the remainder goes to the members owning the most now, so
/// that as few shards as possible have to move.
void set_shares(std::vector<keeper>& keepers, size_t total) {
  std::vector<keeper*> by_load;
  for (auto& k : keepers)
    by_load.push_back(&k);
  // Stable: `keepers` is in id order, which breaks the ties.
  std::stable_sort(by_load.begin(), by_load.end(), [](auto* a, auto* b) {
    return a->owned.size() > b->owned.size();
  });
  auto base = total / keepers.size();
  auto larger = total % keepers.size();
  for (size_t i = 0; i < by_load.size(); ++i) {
    auto& k = *by_load[i];
    k.share = static_cast<uint32_t>(base + (i < larger ? 1 : 0));
    k.room = k.owned.size() < k.share
               ? k.share - static_cast<uint32_t>(k.owned.size())
               : 0;
  }
}

/// The member with the most room left (the first in id order of those).
keeper& roomiest(std::vector<keeper>& keepers) {
  return *std::max_element(keepers.begin(), keepers.end(),
                           [](auto& a, auto& b) { return a.room < b.room; });
}

} // namespace

caf::expected<rebalance_plan>
plan_rebalance(const cluster_view& view, const std::set<std::string>& drain) {
  rebalance_plan plan;
  std::vector<keeper> keepers; // members are sorted by id
  for (auto& m : view.members)
    if (drain.count(m.node_id) == 0)
      keepers.push_back(keeper{m.node_id, {}, 0, 0});
    else
      plan.shares[m.node_id] = 0;
  std::vector<planned_move> leaving; // of drained members, then surplus
  size_t total = 0;
  for (auto& e : view.map) {
    auto& owner = e.record.owner;
    if (owner.empty()) {
      plan.unowned.push_back(e.shard);
      continue;
    }
    if (!view.is_live(owner)) {
      plan.unavailable.push_back({e.shard, owner});
      continue;
    }
    ++total;
    auto k = std::find_if(keepers.begin(), keepers.end(),
                          [&](auto& x) { return x.node == owner; });
    if (k == keepers.end())
      leaving.push_back({e.shard, owner, {}});
    else
      k->owned.push_back(e.shard);
  }
  if (total == 0) {
    for (auto& k : keepers)
      plan.shares[k.node] = 0;
    return plan;
  }
  if (keepers.empty())
    return make_error(errc::unavailable,
                      "every live member is drained: no member to move "
                        + std::to_string(total) + " shards to");
  set_shares(keepers, total);
  std::vector<planned_move> surplus;
  for (auto& k : keepers) {
    plan.shares[k.node] = k.share;
    for (auto i = std::min<size_t>(k.share, k.owned.size());
         i < k.owned.size(); ++i)
      surplus.push_back({k.owned[i], k.node, {}});
  }
  std::sort(surplus.begin(), surplus.end(),
            [](auto& a, auto& b) { return a.shard < b.shard; });
  leaving.insert(leaving.end(), surplus.begin(), surplus.end());
  for (auto& m : leaving) {
    auto& to = roomiest(keepers);
    m.to = to.node;
    --to.room;
    plan.moves.push_back(std::move(m));
  }
  return plan;
}

} // namespace entact::cluster
