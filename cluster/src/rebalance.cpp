// Running a rebalance plan (rebalance_plan.hpp): one move at a time through
// the move records, each waited for before the next, so that a failure
// stops the rebalance with every shard owned by one node, and a rebalance
// run again plans from where the last one stopped.

#include "entact/cluster/rebalance.hpp"

#include "entact/cluster/move_admin.hpp"
#include "entact/errc.hpp"

namespace entact::cluster {

caf::error await_moves_end(zk_session& zk, const std::string& name,
                           std::chrono::milliseconds limit) {
  auto moves = read_moves(zk, name);
  if (!moves)
    return moves.error();
  for (auto& m : *moves)
    if (auto ended = await_move_end(zk, name, m.shard, limit); !ended)
      return ended.error();
  return {};
}

caf::expected<shard_entry> run_planned_move(zk_session& zk,
                                            const std::string& name,
                                            const planned_move& move,
                                            std::chrono::milliseconds limit) {
  auto view = read_cluster(zk, name);
  if (!view)
    return view.error();
  if (move.shard >= view->map.size())
    return make_error(errc::invalid_argument,
                      "cluster '" + name + "' has no shard "
                        + std::to_string(move.shard));
  auto& owner = view->map[move.shard].record.owner;
  if (owner != move.from)
    return make_error(errc::conflict,
                      "shard " + std::to_string(move.shard) + " is on "
                        + (owner.empty() ? std::string{"no node"} : owner)
                        + " now, not " + move.from
                        + ": the map changed since the plan");
  if (auto started = start_move(zk, name, move.shard, move.to); !started)
    return started.error();
  return await_move_to(zk, name, move.shard, move.to, limit);
}

} // namespace entact::cluster
