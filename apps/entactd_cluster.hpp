#pragma once

// entactd's cluster options: `--cluster=HOST:PORT/NAME --node-id=NAME`
// make the server a cluster node (cluster/cluster_node.hpp). Kept apart
// from entactd.cpp so that the server's main stays about serving.

#include <memory>
#include <string>

#include <caf/config_option_adder.hpp>
#include <caf/config_option_set.hpp>

#include "entact/cluster/cluster_node.hpp"
#include "entact/cluster/engine_shard_host.hpp"
#include "entact/engine_options.hpp"

namespace entact::apps {

struct cluster_flags {
  std::string cluster;
  std::string node_id;
  size_t session_timeout_ms = 10000;
  size_t min_members = 1;
  size_t move_hold_ms = 0;

  void add_to(caf::config_option_set& set) {
    caf::config_option_adder{set, "global"}
      .add(cluster, "cluster",
           "be a node of this cluster: HOST:PORT/NAME of its ZooKeeper")
      .add(node_id, "node-id", "this node's id in --cluster")
      .add(session_timeout_ms, "cluster-session-timeout-ms",
           "ZooKeeper session timeout: a node that cannot prove its session "
           "for less than this refuses every call")
      .add(min_members, "cluster-min-members",
           "live members needed before shards are first assigned")
      .add(move_hold_ms, "cluster-test-move-hold-ms",
           "testing only: as a shard move's target, wait this long after "
           "the copy and again before the catch-up");
  }

  /// The node for these flags (nullptr without --cluster), wired into
  /// `opts.admit`; it must outlive the engine. Empty `error` on success.
  std::unique_ptr<cluster::cluster_node>
  make_node(engine_options& opts, std::string& error,
            std::function<void(const std::string&)> log) const {
    if (cluster.empty() && node_id.empty())
      return nullptr;
    auto where = cluster::parse_cluster_address(cluster);
    if (!where) {
      error = "--cluster: " + to_string(where.error());
      return nullptr;
    }
    cluster::cluster_node::options no;
    no.where = *where;
    no.node_id = node_id;
    no.session_timeout = std::chrono::milliseconds{session_timeout_ms};
    no.min_members = min_members;
    no.move_hold = std::chrono::milliseconds{move_hold_ms};
    no.log = std::move(log);
    auto node = cluster::cluster_node::make(std::move(no));
    if (!node) {
      error = to_string(node.error());
      return nullptr;
    }
    auto* raw = node->get();
    opts.admit = [raw](const std::vector<entity_id>& ids) {
      return raw->admit(ids);
    };
    return std::move(*node);
  }
};

/// Starts `node` serving at `address`, moving shards in and out of `eng`.
inline void start_node(cluster::cluster_node& node, engine& eng,
                       std::string address) {
  node.start(std::move(address), cluster::engine_shard_host::make(eng));
}

} // namespace entact::apps
