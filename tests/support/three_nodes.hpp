#pragma once

// A cluster of 3 real entactd nodes on one ZooKeeper, shared by the tests
// of a cluster under failure (test_cluster_failures, test_cluster_frozen).

#include <chrono>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "entact/cluster/cluster_admin.hpp"
#include "entact/cluster/shard_hash.hpp"
#include "entact/connect_cluster.hpp"
#include "support/acked_writer.hpp"
#include "support/cluster_fixture.hpp"
#include "support/server_process.hpp"
#include "support/wait_until.hpp"

namespace entact::test {

inline constexpr uint32_t shard_count = 6;
inline const std::vector<std::string> node_ids{"n1", "n2", "n3"};

/// The deadline of each call of the cluster client: far more than its
/// redirects take (1.55 s), so an answer before it is not a timeout.
inline constexpr auto call_deadline = std::chrono::seconds{20};

inline errc code_of_get(database& db, const std::string& id) {
  auto r = db.get(id);
  return r ? errc::none : code_of(r.error());
}

/// Cluster `name` with 3 nodes on `server` (by default the shared
/// ZooKeeper: `shared_zookeeper`), all shards owned. The nodes' ZooKeeper
/// sessions expire `session_timeout_ms` after they go silent.
struct three_nodes {
  /// `extra_args` are more flags of the nodes named (test hooks).
  explicit three_nodes(
    std::string cluster_name, int session_timeout_ms = 2000,
    zookeeper_process& server = shared_zookeeper::server(),
    std::map<std::string, std::vector<std::string>> extra_args = {})
    : zk(server),
      name(std::move(cluster_name)),
      session_ms(session_timeout_ms),
      extra(std::move(extra_args)) {
    if (auto err = cluster::create_cluster(*admin, name, shard_count))
      throw std::runtime_error(to_string(err));
    for (auto& id : node_ids)
      nodes.emplace(id, std::make_unique<server_process>(node_args(id)));
    view = wait_all_owned(*admin, name);
  }

  std::vector<std::string> node_args(const std::string& id) const {
    std::vector<std::string> args{
      "--cluster=" + zk.hosts() + "/" + name, "--node-id=" + id,
      "--cluster-session-timeout-ms=" + std::to_string(session_ms),
      "--cluster-min-members=3"};
    if (auto i = extra.find(id); i != extra.end())
      args.insert(args.end(), i->second.begin(), i->second.end());
    return args;
  }

  /// A cluster client with `opts` (by default: `call_deadline`).
  std::unique_ptr<database> connect(cluster_client_options opts = {
                                      call_deadline}) const {
    auto db = connect_cluster(zk.hosts() + "/" + name, opts);
    if (!db)
      throw std::runtime_error(to_string(db.error()));
    return std::move(*db);
  }

  /// `n` ids whose shards `owner` owns.
  std::vector<std::string> ids_of(const std::string& owner, int n) const {
    std::vector<std::string> out;
    for (int i = 0; static_cast<int>(out.size()) < n; ++i)
      if (auto id = "acct/" + std::to_string(i);
          view.map[cluster::shard_of(id, shard_count)].record.owner == owner)
        out.push_back(id);
    return out;
  }

  /// Two ids of each node.
  std::vector<std::string> ids_of_all() const {
    std::vector<std::string> out;
    for (auto& node : node_ids)
      for (auto& id : ids_of(node, 2))
        out.push_back(id);
    return out;
  }

  zookeeper_process& zk;
  std::unique_ptr<cluster::zk_session> admin = open_session(zk);
  std::string name;
  int session_ms;
  std::map<std::string, std::vector<std::string>> extra;
  std::map<std::string, std::unique_ptr<server_process>> nodes;
  cluster::cluster_view view;
};

/// Waits until `writer` has acknowledged `more` updates of every id in
/// `ids` beyond `since` (per id).
inline bool wait_acks(const acked_writer& writer,
                      const std::vector<std::string>& ids,
                      const std::map<std::string, uint64_t>& since,
                      uint64_t more) {
  return wait_until(
    [&] {
      for (auto& id : ids)
        if (writer.acks(id) < (since.count(id) ? since.at(id) : 0) + more)
          return false;
      return true;
    },
    std::chrono::seconds{60}, std::chrono::milliseconds{10});
}

/// Acknowledged updates so far of each of `ids`.
inline std::map<std::string, uint64_t>
acks_now(const acked_writer& writer, const std::vector<std::string>& ids) {
  std::map<std::string, uint64_t> out;
  for (auto& id : ids)
    out[id] = writer.acks(id);
  return out;
}

} // namespace entact::test
