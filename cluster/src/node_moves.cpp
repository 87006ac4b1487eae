// A node's part in shard moves (README, "Moving a shard"), one step per
// round of its cluster thread. The move record in ZooKeeper says where a
// move stands; each side writes the step it finished, with versioned
// writes, so a crash of either side leaves a record the other side (or the
// restarted node, or an admin's abort) can go on from:
//
//   copying           the target copies the shard from the source's front
//                     door, installs it newer-only, then asks for the freeze;
//   freeze-requested  the source refuses the shard at its door and in its
//                     store (every earlier write durable), then says frozen;
//   frozen            the target copies again (the catch-up) and flips the
//                     map and deletes the record in one multi-op.
//
// A source keeps a shard it moved away fenced for as long as it runs.

#include "entact/cluster/cluster_node.hpp"

#include "entact/errc.hpp"

namespace entact::cluster {

namespace {

std::string shard_text(uint32_t shard) {
  return "shard " + std::to_string(shard);
}

std::string list(const std::set<uint32_t>& shards) {
  std::string out;
  for (auto s : shards)
    out += (out.empty() ? "" : ",") + std::to_string(s);
  return out.empty() ? "none" : out;
}

} // namespace

bool cluster_node::fence_moving(const cluster_view& view,
                                const std::vector<move_entry>& moves,
                                const session_lease& lease) {
  std::set<uint32_t> leaving;
  for (auto& m : moves)
    if (m.record.from == opts_.node_id
        && m.record.state != move_state::copying)
      leaving.insert(m.shard);
  auto wanted = fenced_;
  wanted.insert(leaving.begin(), leaving.end());
  // Lifted only for a shard this node still owns with no freeze under way
  // (an aborted move); one moved away stays fenced.
  for (auto it = wanted.begin(); it != wanted.end();) {
    bool owned = *it < view.map.size()
                 && view.map[*it].record.owner == opts_.node_id;
    it = owned && leaving.count(*it) == 0 ? wanted.erase(it) : std::next(it);
  }
  if (wanted == fenced_)
    return true;
  // The door first, then the store: a call admitted before the door
  // closed either committed before the store's fence returned (durable, so
  // the catch-up sees it) or is refused by it.
  for (auto s : wanted)
    fenced_since_.emplace(s, std::chrono::steady_clock::now());
  for (auto it = fenced_since_.begin(); it != fenced_since_.end();)
    it = wanted.count(it->first) == 0 ? fenced_since_.erase(it)
                                      : std::next(it);
  fenced_ = std::move(wanted);
  publish_view(view, lease);
  if (host_)
    if (auto err = host_->fence_shards(fenced_, view.shards)) {
      log("cannot fence the store: " + to_string(err));
      return false;
    }
  log("fenced shards: " + list(fenced_));
  return true;
}

bool cluster_node::step_moves(zk_session& zk, const cluster_view& view,
                              const std::vector<move_entry>& moves) {
  bool took_over = false;
  for (auto& m : moves) {
    bool mine = m.record.to == opts_.node_id || m.record.from == opts_.node_id;
    if (!mine)
      continue;
    // A move begun at another map (an admin's set_shard_owner since) is
    // void: either side drops it.
    if (m.shard >= view.map.size()
        || view.map[m.shard].record.owner != m.record.from
        || view.map[m.shard].record.epoch != m.record.epoch) {
      if (!drop_move(zk, view.name, m))
        log("dropped the move of " + shard_text(m.shard)
            + ": the map changed since it began");
      continue;
    }
    if (m.record.to == opts_.node_id)
      took_over = step_as_target(zk, view, m) || took_over;
    else
      step_as_source(zk, view, m);
  }
  return took_over;
}

bool cluster_node::step_as_target(zk_session& zk, const cluster_view& view,
                                  const move_entry& move) {
  auto what = "the move of " + shard_text(move.shard) + " from "
              + move.record.from;
  auto* source = view.find_member(move.record.from);
  if (source == nullptr) {
    if (!drop_move(zk, view.name, move))
      log("dropped " + what + ": the source is not a live member");
    return false;
  }
  if (move.record.state == move_state::freeze_requested)
    return false; // the source's turn
  if (auto since = fenced_since_.find(move.shard);
      since != fenced_since_.end()
      && std::chrono::steady_clock::now()
           < since->second + 2 * host_->cache_lifetime()
               + std::chrono::seconds{1}) {
    // Moved away from here not long ago: actors of its ids may still be
    // resident, with what they held then. Taken back once they are gone.
    return false;
  }
  if (move.record.state == move_state::frozen)
    hold_for_test();
  if (auto err = host_->pull_shard(move.shard, view.shards,
                                   source->address)) {
    log("cannot copy for " + what + " (retrying): " + to_string(err));
    return false;
  }
  if (move.record.state == move_state::copying) {
    log("copied " + shard_text(move.shard) + "; asking " + move.record.from
        + " to freeze it");
    hold_for_test();
    if (auto err = set_move_state(zk, view.name, move,
                                  move_state::freeze_requested))
      log(what + ": " + to_string(err));
    return false;
  }
  if (auto err = finish_move(zk, view.name, move, view.map[move.shard])) {
    log("cannot flip " + what + ": " + to_string(err));
    return false;
  }
  log("took over " + shard_text(move.shard) + " at epoch "
      + std::to_string(move.record.epoch + 1));
  return true;
}

void cluster_node::step_as_source(zk_session& zk, const cluster_view& view,
                                  const move_entry& move) {
  auto what = "the move of " + shard_text(move.shard) + " to "
              + move.record.to;
  if (!view.is_live(move.record.to)) {
    if (!drop_move(zk, view.name, move))
      log("dropped " + what + ": the target is not a live member");
    return;
  }
  if (move.record.state != move_state::freeze_requested)
    return;
  // Fenced already (fence_moving): no prepare can start now, so one found
  // here was prepared before and would commit after the catch-up.
  if (host_->holds_prepared(move.shard, view.shards)) {
    if (!drop_move(zk, view.name, move))
      log("refused " + what
          + ": prepared two-phase-commit transactions hold its ids");
    return;
  }
  if (auto err = set_move_state(zk, view.name, move, move_state::frozen))
    log(what + ": " + to_string(err));
  else
    log("froze " + shard_text(move.shard) + " for " + what);
}

void cluster_node::hold_for_test() {
  if (opts_.move_hold.count() <= 0)
    return;
  std::unique_lock<std::mutex> guard{mtx_};
  wake_.wait_for(guard, opts_.move_hold, [this] { return stopping_; });
}

} // namespace entact::cluster
