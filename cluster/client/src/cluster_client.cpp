#include "entact/connect_cluster.hpp"

#include <algorithm>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "entact/client.hpp"
#include "entact/cluster/cluster_admin.hpp"
#include "entact/cluster/cluster_names.hpp"
#include "entact/cluster/shard_hash.hpp"
#include "entact/errc.hpp"
#include "cross_node_txn.hpp"
#include "map_follower.hpp"
#include "redirector.hpp"

namespace entact {

namespace {

using cluster::cluster_view;

bool redirected(errc c) {
  return c == errc::wrong_node || c == errc::unavailable;
}

template <class T>
errc code_of_result(const caf::expected<T>& r) {
  return r ? errc::none : code_of(r.error());
}

/// The pause before redirect `attempt` (1, 2, ...): 50 ms, doubling. A
/// node that re-registers or has not re-read the map yet catches up within
/// its refresh period.
std::chrono::milliseconds redirect_pause(unsigned attempt) {
  return std::chrono::milliseconds{50 << std::min(attempt - 1, 10u)};
}

class cluster_client : public database {
public:
  explicit cluster_client(cluster_client_options opts) : opts_(opts) {
  }

  /// Follows the map of `where`; the map's first read decides the shard
  /// count (fixed for a cluster's life).
  caf::error start(cluster::cluster_address where) {
    auto f = detail::map_follower::start(
      std::move(where), opts_.request_timeout,
      [this](const std::shared_ptr<const cluster_view>& v) { forget_gone(*v); });
    if (!f)
      return f.error();
    follower_ = std::move(*f);
    shards_ = follower_->view()->shards;
    return {};
  }

  /// Lets every asynchronous call finish (those waiting out a redirect's
  /// pause are answered `closed`), then closes the node clients.
  ~cluster_client() override {
    {
      std::unique_lock<std::mutex> guard{async_mtx_};
      closing_ = true;
      async_idle_.wait(guard, [this] { return deferred_ == 0; });
    }
    std::map<std::string, std::shared_ptr<node_slot>> nodes;
    {
      std::lock_guard<std::mutex> guard{mtx_};
      nodes.swap(clients_);
    }
    nodes.clear(); // each waits for its calls in flight
    redirector_.reset();
    follower_.reset();
  }

  caf::expected<record> get(const entity_id& id) override {
    return route(shard(id), true, [&](client& c) { return c.get(id); });
  }

  caf::expected<record> read(const entity_id& id) override {
    return route(shard(id), true, [&](client& c) { return c.read(id); });
  }

  caf::expected<std::vector<record>>
  read_many(const std::vector<entity_id>& ids) override {
    auto s = one_shard(ids);
    if (!s)
      return s.error();
    return route(*s, true, [&](client& c) { return c.read_many(ids); });
  }

  /// Ids of every shard sort together: a page would have to merge every
  /// node's, and there is no fan-out yet.
  caf::expected<scan_page> scan(const scan_request&) override {
    return make_error(errc::cross_shard,
                      "a scan spans every shard; scan each node with "
                      "entact::connect instead");
  }

  caf::expected<std::vector<record>>
  transact(const std::vector<entity_id>& ids, const txn_body& body,
           const txn_options& opts, const retry_policy& retry) override {
    if (ids.empty() || one_node(ids))
      return counted(route(ids.empty() ? 0 : shard(ids.front()), false,
                           [&](client& c) {
                             return c.transact(ids, body, opts, retry);
                           }));
    return across_nodes(ids, body, opts, retry);
  }

  cluster_txn_stats txn_stats() const {
    return counters_.snapshot();
  }

  caf::expected<record> apply(write_op op) override {
    return route(shard(op.id), false, [&](client& c) { return c.apply(op); });
  }

  caf::expected<std::vector<record>>
  apply_batch(std::vector<write_op> ops) override {
    std::vector<entity_id> ids;
    for (auto& op : ops)
      ids.push_back(op.id);
    if (ids.empty() || one_node(ids))
      return counted(route(ids.empty() ? 0 : shard(ids.front()), false,
                           [&](client& c) { return c.apply_batch(ops); }));
    // A batch takes no locks on one node; across nodes it is a transaction
    // whose body checks each op's version against the locked record.
    return across_nodes(ids, detail::batch_body(std::move(ops)), {}, {});
  }

  void apply_async(write_op op, record_callback done) override {
    auto id = op.id;
    send_async(id, std::move(done), [op](client& c, record_callback cb) {
      c.apply_async(op, std::move(cb));
    });
  }

  using database::modify;

  caf::expected<record> modify(modify_op op) override {
    return route(shard(op.id), false, [&](client& c) { return c.modify(op); });
  }

  void modify_async(modify_op op, record_callback done) override {
    auto id = op.id;
    send_async(id, std::move(done), [op](client& c, record_callback cb) {
      c.modify_async(op, std::move(cb));
    });
  }

  /// On the owner of `id`'s shard, as `client::watch` (the subscription
  /// follows redirects like a read). The watch lives on that node's
  /// connection: when the node dies, or the client lets the connection go
  /// after a map change, it ends with `unreachable` or `closed` as its last
  /// call, and the caller watches again after the last version it saw.
  caf::expected<watch_handle> watch(const entity_id& id,
                                    version_t after_version,
                                    watch_callback cb) override {
    if (!cb)
      return make_error(errc::invalid_argument, "a watch needs a callback");
    return route(shard(id), true, [&](client& c) {
      return c.watch(id, after_version, cb);
    });
  }

private:
  /// What the client knows of one node: its address, a client to it (none
  /// while it does not answer), why and until when it is left alone, and
  /// whether a dial to it is under way. Guarded by `mtx_`.
  struct node_slot {
    std::string address;
    std::shared_ptr<client> conn = nullptr;
    caf::error down = {};
    std::chrono::steady_clock::time_point redial_after = {};
    bool dialling = false;
  };

  uint32_t shard(const entity_id& id) const {
    return cluster::shard_of(id, shards_);
  }

  /// The one shard of `ids`, or `cross_shard`.
  caf::expected<uint32_t> one_shard(const std::vector<entity_id>& ids) {
    if (ids.empty())
      return uint32_t{0}; // the node refuses the empty call itself
    auto first = shard(ids.front());
    for (auto& id : ids)
      if (shard(id) != first)
        return make_error(errc::cross_shard,
                          "'" + ids.front().substr(0, 64) + "' and '"
                            + id.substr(0, 64)
                            + "' are on different shards");
    return first;
  }

  /// True if the map as last read gives every one of `ids` the same owner
  /// (one phase, on that node).
  bool one_node(const std::vector<entity_id>& ids) {
    auto view = follower_->view();
    auto owner_of = [&](const entity_id& id) -> const std::string* {
      auto s = shard(id);
      return s < view->map.size() ? &view->map[s].record.owner : nullptr;
    };
    auto first = owner_of(ids.front());
    for (auto& id : ids) {
      auto o = owner_of(id);
      if (!first || !o || *o != *first)
        return false;
    }
    return true;
  }

  /// `r`, counted as a one-phase commit if it is one.
  caf::expected<std::vector<record>>
  counted(caf::expected<std::vector<record>> r) {
    if (r)
      ++counters_.one_phase;
    return r;
  }

  /// A transaction over several nodes' ids (cross_node_txn.hpp). An answer
  /// `wrong_node` or `unavailable` (a node refused a begin: nothing was
  /// applied anywhere) is tried again on the map as read anew, like
  /// `route`.
  caf::expected<std::vector<record>>
  across_nodes(const std::vector<entity_id>& ids, const txn_body& body,
               const txn_options& opts, const retry_policy& retry) {
    caf::expected<std::vector<record>> last = make_error(errc::unavailable);
    for (unsigned attempt = 0; attempt <= opts_.max_redirects; ++attempt) {
      if (attempt > 0) {
        follower_->poke();
        std::this_thread::sleep_for(redirect_pause(attempt));
      }
      if (one_node(ids)) // the map changed meanwhile
        return counted(route(shard(ids.front()), false, [&](client& c) {
          return c.transact(ids, body, opts, retry);
        }));
      auto parts = parts_of(ids);
      if (parts)
        last = detail::cross_node_transact(std::move(*parts), ids, body,
                                           opts, retry, opts_.fault_hook,
                                           counters_);
      else
        last = parts.error();
      if (last || !redirected(code_of(last.error())))
        return last;
    }
    return last;
  }

  /// `ids` grouped by owner node, in node-id order, each with a client.
  /// `unavailable` if an owner cannot be reached (nothing begun).
  caf::expected<std::vector<detail::node_part>>
  parts_of(const std::vector<entity_id>& ids) {
    auto view = follower_->view();
    std::map<std::string, detail::node_part> by_node;
    for (auto& id : ids) {
      auto s = shard(id);
      if (s >= view->map.size())
        return make_error(errc::unavailable,
                          "shard " + std::to_string(s) + " is not in the map");
      auto& owner = view->map[s].record.owner;
      auto& part = by_node[owner];
      if (part.ids.empty()) {
        auto m = view->find_member(owner);
        if (m == nullptr)
          return make_error(errc::unavailable,
                            "shard " + std::to_string(s)
                              + " has no live owner ("
                              + (owner.empty() ? "none" : owner) + ")");
        auto c = connection_to(owner, m->address, s);
        if (!c)
          return c.error();
        part = detail::node_part{owner, m->address, std::move(*c), {}};
      }
      part.ids.push_back(id);
    }
    std::vector<detail::node_part> out;
    for (auto& [node, part] : by_node)
      out.push_back(std::move(part));
    return out;
  }

  /// The client of the node owning `s` by the map as last read, connected
  /// anew if its connection was lost. A node that cannot be reached answers
  /// `unavailable` (nothing was sent to it), and is not dialled again for a
  /// while (see `connection_to`), so that callers of a dead node's shards
  /// do not each pay for a connect.
  caf::expected<std::shared_ptr<client>> owner_client(uint32_t s) {
    auto view = follower_->view();
    if (s >= view->map.size()) // the cluster was made again, smaller
      return make_error(errc::unavailable,
                        "shard " + std::to_string(s) + " is not in the map");
    auto& owner = view->map[s].record.owner;
    auto m = view->find_member(owner);
    if (m == nullptr)
      return make_error(errc::unavailable,
                        "shard " + std::to_string(s) + " has no live owner ("
                          + (owner.empty() ? "none" : owner) + ")");
    return connection_to(owner, m->address, s);
  }

  /// The slot of node `owner` at `address` (a new one if it moved).
  /// Requires `mtx_`.
  std::shared_ptr<node_slot> slot_of(const std::string& owner,
                                     const std::string& address) {
    auto& slot = clients_[owner];
    if (!slot || slot->address != address)
      slot = std::make_shared<node_slot>(node_slot{address});
    return slot;
  }

  /// The live client of node `owner`, dialled if need be. One dial per
  /// node at a time, made outside `mtx_`: callers of other nodes go on
  /// meanwhile; callers of this node wait for that dial (bounded by the
  /// connect deadline) and take its outcome.
  caf::expected<std::shared_ptr<client>>
  connection_to(const std::string& owner, const std::string& address,
                uint32_t s) {
    std::shared_ptr<client> lost; // closed outside the lock
    std::unique_lock<std::mutex> guard{mtx_};
    auto slot = slot_of(owner, address);
    dialled_.wait(guard, [&] { return !slot->dialling; });
    if (slot->conn && slot->conn->connected())
      return slot->conn;
    if (!slot->conn && std::chrono::steady_clock::now() < slot->redial_after)
      return slot->down;
    lost = std::move(slot->conn); // closed once its last call ends
    slot->dialling = true;
    guard.unlock();
    auto started = std::chrono::steady_clock::now();
    auto c = dial(address);
    auto ended = std::chrono::steady_clock::now();
    guard.lock();
    slot->dialling = false;
    dialled_.notify_all();
    if (!c && code_of(c.error()) == errc::unreachable) {
      slot->down = make_error(errc::unavailable,
                              "shard " + std::to_string(s) + ": node " + owner
                                + " at " + address + " does not answer ("
                                + to_string(c.error()) + ")");
      // Left alone for at least as long as the dial took: a frozen node
      // (each dial runs out the connect deadline) costs its callers at
      // most half their time in dials.
      using duration = std::chrono::steady_clock::duration;
      slot->redial_after =
        ended + std::max<duration>(redial_pause, ended - started);
      return slot->down;
    }
    if (!c)
      return c.error();
    slot->conn = std::shared_ptr<client>{std::move(*c)};
    return slot->conn;
  }

  /// Connects to the node at `address` ("HOST:PORT"), within the connect
  /// deadline.
  caf::expected<std::unique_ptr<client>> dial(const std::string& address) {
    auto colon = address.rfind(':');
    client_options co;
    co.host = address.substr(0, colon);
    co.port = static_cast<uint16_t>(std::stoul(address.substr(colon + 1)));
    co.request_timeout = opts_.request_timeout;
    co.connect_timeout = opts_.connect_timeout;
    return entact::connect(co);
  }

  /// Forgets the clients of nodes that left or moved (a new map).
  void forget_gone(const cluster_view& view) {
    std::vector<std::shared_ptr<client>> closing;
    {
      std::lock_guard<std::mutex> guard{mtx_};
      for (auto i = clients_.begin(); i != clients_.end();) {
        auto m = view.find_member(i->first);
        if (m == nullptr || m->address != i->second->address) {
          // A dial under way ends in the slot it started from, now
          // unlisted: the next call dials the new address.
          closing.push_back(std::move(i->second->conn));
          i = clients_.erase(i);
        } else {
          ++i;
        }
      }
    }
    // Closed here, outside the lock (a close waits for calls in flight).
  }

  /// Calls `f` on the owner of shard `s`, following redirects.
  template <class F>
  auto route(uint32_t s, bool idempotent, F f)
    -> decltype(f(std::declval<client&>())) {
    decltype(f(std::declval<client&>())) last = make_error(errc::unavailable);
    for (unsigned attempt = 0; attempt <= opts_.max_redirects; ++attempt) {
      if (attempt > 0) {
        // The map may have changed before its watch fired: read it again
        // while waiting for the node to catch up.
        follower_->poke();
        std::this_thread::sleep_for(redirect_pause(attempt));
      }
      auto c = owner_client(s);
      if (!c) {
        last = c.error();
        if (redirected(code_of(c.error())))
          continue;
        return last;
      }
      last = f(**c);
      auto code = code_of_result(last);
      if (redirected(code))
        continue;
      if (code == errc::unreachable && idempotent)
        continue; // reads only: a write's outcome is unknown
      return last;
    }
    return last;
  }

  /// An asynchronous call on its way: how to send it to a node, and where
  /// its outcome goes.
  struct async_call {
    uint32_t shard = 0;
    std::function<void(client&, record_callback)> send;
    record_callback done;
    unsigned attempt = 0;
  };

  using async_ptr = std::shared_ptr<async_call>;

  /// The asynchronous calls follow redirects like `route`, without
  /// blocking the caller or a callback's thread: the pauses are waited out,
  /// and the call sent again, on the redirector's thread.
  void send_async(const entity_id& id, record_callback done,
                  std::function<void(client&, record_callback)> send) {
    auto call = std::make_shared<async_call>();
    call->shard = shard(id);
    call->send = std::move(send);
    call->done = std::move(done);
    dispatch(call);
  }

  void dispatch(const async_ptr& call) {
    auto c = owner_client(call->shard);
    if (!c)
      return settle(call, c.error());
    call->send(**c, [this, call](caf::expected<record> r) {
      settle(call, std::move(r));
    });
  }

  /// Hands `r` to the caller, or (a redirect, with attempts left) sends
  /// the call again after its pause.
  void settle(const async_ptr& call, caf::expected<record> r) {
    if (!r && redirected(code_of(r.error()))
        && call->attempt < opts_.max_redirects) {
      std::lock_guard<std::mutex> guard{async_mtx_};
      if (!closing_) {
        if (!redirector_)
          redirector_ = std::make_unique<detail::redirector>();
        ++deferred_;
        auto pause = redirect_pause(++call->attempt);
        follower_->poke();
        redirector_->later(pause, [this, call] { redispatch(call); });
        return;
      }
    }
    call->done(std::move(r));
  }

  void redispatch(const async_ptr& call) {
    bool closing = false;
    {
      std::lock_guard<std::mutex> guard{async_mtx_};
      closing = closing_;
    }
    if (closing)
      call->done(make_error(errc::closed, "the cluster client is closing"));
    else
      dispatch(call);
    std::lock_guard<std::mutex> guard{async_mtx_};
    if (--deferred_ == 0)
      async_idle_.notify_all();
  }

  static constexpr auto redial_pause = std::chrono::milliseconds{100};

  cluster_client_options opts_;
  std::unique_ptr<detail::map_follower> follower_;
  uint32_t shards_ = 0;
  std::mutex mtx_;
  /// Per node id.
  std::map<std::string, std::shared_ptr<node_slot>> clients_;
  /// Signalled when a dial ends.
  std::condition_variable dialled_;
  /// Asynchronous calls waiting out a redirect's pause.
  std::mutex async_mtx_;
  std::condition_variable async_idle_;
  size_t deferred_ = 0;
  bool closing_ = false;
  std::unique_ptr<detail::redirector> redirector_;
  detail::txn_counters counters_;
};

} // namespace

std::optional<cluster_txn_stats> cluster_txn_stats_of(const database& db) {
  if (auto c = dynamic_cast<const cluster_client*>(&db))
    return c->txn_stats();
  return std::nullopt;
}

caf::expected<std::unique_ptr<database>>
connect_cluster(const std::string& address, cluster_client_options opts) {
  if (opts.request_timeout.count() <= 0 || opts.connect_timeout.count() <= 0)
    return make_error(errc::invalid_argument, "timeouts must be positive");
  auto where = cluster::parse_cluster_address(address);
  if (!where)
    return where.error();
  auto db = std::make_unique<cluster_client>(opts);
  if (auto err = db->start(std::move(*where)))
    return err;
  return std::unique_ptr<database>{std::move(db)};
}

} // namespace entact
