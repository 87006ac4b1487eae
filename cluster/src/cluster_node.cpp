#include "entact/cluster/cluster_node.hpp"

#include <algorithm>

#include "entact/cluster/cluster_admin.hpp"
#include "entact/cluster/shard_hash.hpp"
#include "entact/errc.hpp"

namespace entact::cluster {

caf::expected<std::unique_ptr<cluster_node>>
cluster_node::make(options opts) {
  if (auto err = validate_cluster_name(opts.where.name))
    return err;
  if (auto err = validate_address(opts.where.zk_hosts))
    return err;
  if (auto err = validate_node_id(opts.node_id))
    return err;
  if (opts.session_timeout < std::chrono::milliseconds{100}
      || opts.session_timeout > std::chrono::minutes{10})
    return make_error(errc::invalid_argument,
                      "the session timeout must be 100 ms..10 min");
  return std::unique_ptr<cluster_node>{new cluster_node(std::move(opts))};
}

cluster_node::cluster_node(options opts) : opts_(std::move(opts)) {
}

cluster_node::~cluster_node() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    stopping_ = true;
  }
  wake_.notify_all();
  if (worker_.joinable())
    worker_.join();
}

void cluster_node::start(std::string address,
                         std::shared_ptr<shard_host> host) {
  address_ = std::move(address);
  host_ = std::move(host);
  worker_ = std::thread{[this] { run(); }};
}

caf::error cluster_node::admit(const std::vector<entity_id>& ids) const {
  std::shared_ptr<const snapshot> snap;
  {
    std::lock_guard<std::mutex> guard{snap_mtx_};
    snap = snap_;
  }
  if (!snap || session_lost_.load()
      || !snap->lease->valid(std::chrono::steady_clock::now()))
    return make_error(errc::unavailable,
                      "node " + opts_.node_id
                        + " cannot prove a live ZooKeeper session");
  for (auto& id : ids) {
    auto shard = shard_of(id, snap->shards);
    auto& [owner, epoch] = snap->owners[shard];
    if (owner != opts_.node_id)
      return make_error(errc::wrong_node,
                        "shard " + std::to_string(shard) + " of '"
                          + id.substr(0, 64) + "' is not served by node "
                          + opts_.node_id + " (epoch " + std::to_string(epoch)
                          + ", owner "
                          + (owner.empty() ? std::string{"none"} : owner)
                          + ")");
    if (snap->fenced.count(shard) != 0)
      return make_error(errc::unavailable,
                        "shard " + std::to_string(shard) + " of '"
                          + id.substr(0, 64) + "' is moving away from node "
                          + opts_.node_id + ": retry");
  }
  return {};
}

bool cluster_node::serving() const {
  return !admit({});
}

void cluster_node::publish(std::shared_ptr<const snapshot> snap) {
  std::lock_guard<std::mutex> guard{snap_mtx_};
  snap_ = std::move(snap);
}

void cluster_node::log(const std::string& line) const {
  if (opts_.log)
    opts_.log(line);
}

void cluster_node::run() {
  std::unique_ptr<zk_session> zk;
  std::unique_ptr<session_lease> lease;
  // The lease refreshes itself; this re-reads the map, which a client
  // that was redirected waits for (connect_cluster's pauses).
  auto period = std::min<std::chrono::milliseconds>(opts_.session_timeout / 4,
                                                    std::chrono::milliseconds{500});
  std::unique_lock<std::mutex> guard{mtx_};
  while (!stopping_) {
    guard.unlock();
    keep_up(zk, lease);
    guard.lock();
    wake_.wait_for(guard, period, [this] { return stopping_ || poked_; });
    poked_ = false;
  }
  guard.unlock();
  publish(nullptr);
  lease.reset();
  zk.reset();
}

void cluster_node::keep_up(std::unique_ptr<zk_session>& zk,
                           std::unique_ptr<session_lease>& lease) {
  auto& name = opts_.where.name;
  if (zk && (session_lost_ || zk->state() == zk_state::expired)) {
    log("session lost: serving nothing until registered again");
    publish(nullptr);
    lease.reset();
    zk.reset();
  }
  if (!zk) {
    zk_session::options zo;
    zo.hosts = opts_.where.zk_hosts;
    zo.session_timeout = opts_.session_timeout;
    zo.connect_timeout = opts_.session_timeout;
    zo.on_state = [this](zk_state st) {
      if (st == zk_state::expired || st == zk_state::auth_failed) {
        session_lost_ = true; // admit refuses from now on
        wake_.notify_all();
      }
    };
    zo.on_change = [this](const std::string&) {
      {
        std::lock_guard<std::mutex> guard{mtx_};
        poked_ = true;
      }
      wake_.notify_all();
    };
    auto s = zk_session::open(std::move(zo));
    if (!s) {
      log("no session: " + to_string(s.error()));
      return;
    }
    session_lost_ = false;
    if (auto err = register_member(**s, name, opts_.node_id, address_)) {
      log("cannot register: " + to_string(err));
      return; // the session closes; tried again next round
    }
    zk = std::move(*s);
    lease = std::make_unique<session_lease>(*zk, layout::member(name,
                                                                opts_.node_id));
    log("registered as " + opts_.node_id + " at " + address_);
  }
  // Read with watches: a change of the map, the members or a move wakes
  // the thread at once (a move's steps and the clients' wait on it). The
  // moves first: one session's reads see ZooKeeper in order, and a flip
  // sets the map and deletes the move at once, so a move not seen here
  // that had flipped is in the map read after. (The other way round, a
  // source could read the map before a flip and the moves after it, and
  // lift its fence on a shard it no longer owns.)
  auto moves = read_moves(*zk, name, true);
  if (!moves) {
    log("cannot read the moves: " + to_string(moves.error()));
    return; // keep serving by the last map while the lease holds
  }
  auto view = read_cluster(*zk, name, true);
  if (view && view->members.size() >= opts_.min_members)
    view = assign_unowned(*zk, name);
  if (!view) {
    log("cannot read the map: " + to_string(view.error()));
    return;
  }
  // Fenced before any step reports the freeze (or serves after a restart).
  if (!fence_moving(*view, *moves, *lease))
    return;
  if (host_ && step_moves(*zk, *view, *moves)) {
    // This node took a shard over: serve it from this map on.
    moves = read_moves(*zk, name, true);
    view = moves ? read_cluster(*zk, name, true) : moves.error();
    if (!view || !fence_moving(*view, *moves, *lease))
      return;
  }
  publish_view(*view, *lease);
}

void cluster_node::publish_view(const cluster_view& view,
                                const session_lease& lease) {
  auto snap = std::make_shared<snapshot>();
  snap->shards = view.shards;
  for (auto& e : view.map)
    snap->owners.emplace_back(e.record.owner, e.record.epoch);
  snap->lease = lease.shared_state();
  snap->fenced = fenced_;
  publish(std::move(snap));
}

} // namespace entact::cluster
