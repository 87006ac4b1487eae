#include "entact/connect_cluster.hpp"

#include <map>
#include <mutex>
#include <thread>

#include "entact/client.hpp"
#include "entact/cluster/cluster_admin.hpp"
#include "entact/cluster/cluster_names.hpp"
#include "entact/cluster/shard_hash.hpp"
#include "entact/errc.hpp"

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

class cluster_client : public database {
public:
  cluster_client(std::unique_ptr<cluster::zk_session> zk, std::string name,
                 cluster_view view, cluster_client_options opts)
    : zk_(std::move(zk)), name_(std::move(name)), view_(std::move(view)),
      opts_(opts) {
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

  caf::expected<std::vector<record>>
  transact(const std::vector<entity_id>& ids, const txn_body& body,
           const txn_options& opts, const retry_policy& retry) override {
    auto s = one_shard(ids);
    if (!s)
      return s.error();
    return route(*s, false, [&](client& c) {
      return c.transact(ids, body, opts, retry);
    });
  }

  caf::expected<record> apply(write_op op) override {
    return route(shard(op.id), false, [&](client& c) { return c.apply(op); });
  }

  caf::expected<std::vector<record>>
  apply_batch(std::vector<write_op> ops) override {
    std::vector<entity_id> ids;
    for (auto& op : ops)
      ids.push_back(op.id);
    auto s = one_shard(ids);
    if (!s)
      return s.error();
    return route(*s, false, [&](client& c) { return c.apply_batch(ops); });
  }

  void apply_async(write_op op, record_callback done) override {
    auto c = owner_client(shard(op.id));
    if (!c)
      return done(c.error());
    (*c)->apply_async(std::move(op), std::move(done));
  }

  using database::modify;

  caf::expected<record> modify(modify_op op) override {
    return route(shard(op.id), false, [&](client& c) { return c.modify(op); });
  }

  void modify_async(modify_op op, record_callback done) override {
    auto c = owner_client(shard(op.id));
    if (!c)
      return done(c.error());
    (*c)->modify_async(std::move(op), std::move(done));
  }

private:
  uint32_t shard(const entity_id& id) {
    std::lock_guard<std::mutex> guard{mtx_};
    return cluster::shard_of(id, view_.shards);
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

  /// The client of the node owning `s` by the map as last read, connected
  /// anew if its connection was lost. A node that cannot be reached answers
  /// `unavailable` (nothing was sent to it), and is not dialled again for
  /// `redial_pause`, so that callers of a dead node's shards do not each
  /// pay for a connect.
  caf::expected<std::shared_ptr<client>> owner_client(uint32_t s) {
    std::lock_guard<std::mutex> guard{mtx_};
    auto& owner = view_.map[s].record.owner;
    auto m = view_.find_member(owner);
    if (m == nullptr)
      return make_error(errc::unavailable,
                        "shard " + std::to_string(s) + " has no live owner ("
                          + (owner.empty() ? "none" : owner) + ")");
    auto& slot = clients_[owner];
    if (slot.address != m->address)
      slot = node_slot{m->address, nullptr, {}, {}};
    if (slot.conn && slot.conn->connected())
      return slot.conn;
    auto now = std::chrono::steady_clock::now();
    if (!slot.conn && now < slot.redial_after)
      return slot.down;
    slot.conn.reset(); // a lost connection: closed once its last call ends
    auto colon = m->address.rfind(':');
    client_options co;
    co.host = m->address.substr(0, colon);
    co.port = static_cast<uint16_t>(std::stoul(m->address.substr(colon + 1)));
    co.request_timeout = opts_.request_timeout;
    auto c = entact::connect(co);
    if (!c && code_of(c.error()) == errc::unreachable) {
      slot.down = make_error(errc::unavailable,
                             "shard " + std::to_string(s) + ": node " + owner
                               + " at " + m->address
                               + " does not answer (" + to_string(c.error())
                               + ")");
      slot.redial_after = now + redial_pause;
      return slot.down;
    }
    if (!c)
      return c.error();
    slot.conn = std::shared_ptr<client>{std::move(*c)};
    return slot.conn;
  }

  /// Re-reads the map; forgets the clients of nodes that moved or left.
  void refresh() {
    auto view = cluster::read_cluster(*zk_, name_);
    if (!view)
      return; // keep the last map: the next answer tells again
    std::lock_guard<std::mutex> guard{mtx_};
    view_ = std::move(*view);
    for (auto i = clients_.begin(); i != clients_.end();) {
      auto m = view_.find_member(i->first);
      if (m == nullptr || m->address != i->second.address)
        i = clients_.erase(i);
      else
        ++i;
    }
  }

  /// Calls `f` on the owner of shard `s`, following redirects.
  template <class F>
  auto route(uint32_t s, bool idempotent, F f)
    -> decltype(f(std::declval<client&>())) {
    decltype(f(std::declval<client&>())) last = make_error(errc::unavailable);
    for (unsigned attempt = 0; attempt <= opts_.max_redirects; ++attempt) {
      if (attempt > 0) {
        // A node that re-registers or has not re-read the map yet catches
        // up within its refresh period: bounded, doubling pauses.
        std::this_thread::sleep_for(
          std::chrono::milliseconds{50 << (attempt - 1)});
        refresh();
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
      if (code == errc::unreachable) {
        refresh();
        if (idempotent)
          continue;
      }
      return last;
    }
    return last;
  }

  std::unique_ptr<cluster::zk_session> zk_;
  std::string name_;
  std::mutex mtx_;
  cluster_view view_;
  cluster_client_options opts_;
  /// What the client knows of one node: its address, a client to it (none
  /// while it does not answer), and why and until when it is left alone.
  struct node_slot {
    std::string address;
    std::shared_ptr<client> conn;
    caf::error down;
    std::chrono::steady_clock::time_point redial_after;
  };

  static constexpr auto redial_pause = std::chrono::milliseconds{100};

  /// Per node id.
  std::map<std::string, node_slot> clients_;
};

} // namespace

caf::expected<std::unique_ptr<database>>
connect_cluster(const std::string& address, cluster_client_options opts) {
  auto where = cluster::parse_cluster_address(address);
  if (!where)
    return where.error();
  cluster::zk_session::options zo;
  zo.hosts = where->zk_hosts;
  zo.connect_timeout = opts.request_timeout;
  auto zk = cluster::zk_session::open(std::move(zo));
  if (!zk)
    return zk.error();
  auto view = cluster::read_cluster(**zk, where->name);
  if (!view)
    return view.error();
  return std::unique_ptr<database>{new cluster_client(
    std::move(*zk), where->name, std::move(*view), opts)};
}

} // namespace entact
