#pragma once

// 3 real entactd nodes on one ZooKeeper for the cross-node transaction tests
// (test_cluster_txn*): each on a fixed port, kept across restarts, so that
// its 2PC name (its registered address, README "Cross-node transactions")
// stays the same; prepared transactions are asked about after 200 ms.

#include <map>
#include <memory>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "entact/client.hpp"
#include "entact/cluster/cluster_admin.hpp"
#include "entact/cluster/shard_hash.hpp"
#include "entact/connect_cluster.hpp"
#include "support/bank_transfers.hpp" // touch_all
#include "support/cluster_fixture.hpp" // free_loopback_port, via ZooKeeper's
#include "support/remote_client.hpp"
#include "support/server_process.hpp"
#include "support/wait_until.hpp"

namespace entact::test {

struct cross_node_cluster {
  static constexpr uint32_t shards = 6;

  /// `first_run_args`: more arguments for a node's first start only (e.g.
  /// entactd's `--twopc-test-crash-at`); `restart_plain` drops them.
  explicit cross_node_cluster(
    std::string cluster_name, int session_timeout_ms = 2000,
    std::map<std::string, std::vector<std::string>> first_run_args = {})
    : zk(shared_zookeeper::server()),
      name(std::move(cluster_name)),
      session_ms(session_timeout_ms) {
    if (auto err = cluster::create_cluster(*admin, name, shards))
      throw std::runtime_error(to_string(err));
    for (auto& id : node_ids) {
      ports[id] = free_loopback_port();
      auto args = node_args(id);
      auto& more = first_run_args[id];
      args.insert(args.end(), more.begin(), more.end());
      nodes.emplace(id, std::make_unique<server_process>(args));
    }
    view = wait_all_owned(*admin, name);
  }

  /// Starts node `id` again (stopping it first if it still runs) on its
  /// data directory and port, with the plain arguments of `node_args`.
  void restart_plain(const std::string& id) {
    nodes.at(id)->set_extra_args(node_args(id));
    nodes.at(id)->restart();
  }

  std::vector<std::string> node_args(const std::string& id) const {
    return {"--cluster=" + address(), "--node-id=" + id,
            "--cluster-session-timeout-ms=" + std::to_string(session_ms),
            "--cluster-min-members=3",
            "--port=" + std::to_string(ports.at(id)),
            "--twopc-ask-after-ms=200",
            // A holder that crashed at its own prepare presumes abort
            // after 2 s instead of 10 (most of a crash round's time).
            "--twopc-decision-wait-ms=2000"};
  }

  std::string address() const {
    return zk.hosts() + "/" + name;
  }

  std::unique_ptr<database> connect(cluster_client_options opts = {
                                      std::chrono::seconds{20}}) const {
    auto db = connect_cluster(address(), opts);
    if (!db)
      throw std::runtime_error(to_string(db.error()));
    return std::move(*db);
  }

  /// `n` ids "acct/..." whose shards `owner` owns.
  std::vector<std::string> ids_of(const std::string& owner, int n) const {
    std::vector<std::string> out;
    for (int i = 0; static_cast<int>(out.size()) < n; ++i)
      if (auto id = "acct/" + std::to_string(i);
          view.map[cluster::shard_of(id, shards)].record.owner == owner)
        out.push_back(id);
    return out;
  }

  /// A plain client of node `id`.
  std::unique_ptr<client> direct(const std::string& id) const {
    return connect_or_throw(nodes.at(id)->port());
  }

  /// Prepared, undecided transactions on every node (-1 if a node does not
  /// answer).
  long prepared_count() const {
    long n = 0;
    for (auto& id : node_ids) {
      auto list = prepared_at(id);
      if (!list)
        return -1;
      n += static_cast<long>(list->size());
    }
    return n;
  }

  /// Waits (at most 60 s) until no node holds a prepared transaction.
  bool wait_none_prepared() const {
    return wait_until([&] { return prepared_count() == 0; },
                      std::chrono::seconds{60},
                      std::chrono::milliseconds{50});
  }

  /// Node `id`'s prepared transactions, through a client kept for the next
  /// call (dropped when a call fails, e.g. the node restarted). Not a new
  /// client per call: CAF 0.17.6 numbers a process's actor systems in one
  /// byte of their node id, so the 257th client has the node id of the
  /// first, and a node refuses a connection claiming the node id of one it
  /// holds (the frame guard): a poll loop making 3 clients per poll soon
  /// clashes with the test's long-lived cluster client.
  caf::expected<std::vector<prepared_info>>
  prepared_at(const std::string& id) const {
    auto& c = prepared_clients_[id];
    if (!c) {
      client_options co;
      co.port = nodes.at(id)->port();
      co.request_timeout = std::chrono::seconds{5};
      auto made = entact::connect(co);
      if (!made)
        return std::move(made.error());
      c = std::move(*made);
    }
    auto list = c->prepared_transactions();
    if (!list)
      c.reset();
    return list;
  }

  const std::vector<std::string> node_ids{"n1", "n2", "n3"};
  zookeeper_process& zk;
  std::unique_ptr<cluster::zk_session> admin = open_session(zk);
  std::string name;
  int session_ms;
  std::map<std::string, uint16_t> ports;
  std::map<std::string, std::unique_ptr<server_process>> nodes;
  cluster::cluster_view view;

private:
  /// `prepared_at`'s clients, by node id; closed before the nodes stop.
  mutable std::map<std::string, std::unique_ptr<client>> prepared_clients_;
};

/// The balances of `ids` summed (through `db`), or -1 if one is unreadable.
inline long total_of(database& db, const std::vector<std::string>& ids) {
  long sum = 0;
  for (auto& id : ids) {
    auto r = db.get(id);
    if (!r)
      return -1;
    sum += std::stol(r->value);
  }
  return sum;
}

/// Moves `amount` from `from` to `to` in one transaction.
inline caf::expected<std::vector<record>>
transfer(database& db, const std::string& from, const std::string& to,
         long amount) {
  return db.transact({from, to}, [&](transaction& t) -> caf::error {
    auto a = t.get(from);
    auto b = t.get(to);
    if (!a || !b)
      return make_error(errc::invalid_argument, "not locked");
    if (auto err = t.put(from, std::to_string(std::stol(a->value) - amount)))
      return err;
    return t.put(to, std::to_string(std::stol(b->value) + amount));
  });
}

} // namespace entact::test
