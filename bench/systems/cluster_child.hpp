#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <entact/database.hpp>

#include "entact/cluster/cluster_admin.hpp"
#include "systems/server_child.hpp"
#include "systems/zookeeper_child.hpp"

namespace bench {

/// A cluster `name` of `nodes` entactd children (sync on), n1..nN, on the
/// ZooKeeper `zk`, each on a fixed free loopback port (its 2PC name, README
/// "Cross-node transactions"), data under `dir`: W8's and W9's. The
/// constructor creates the cluster, starts the nodes and waits (at most
/// 60 s) until every shard has a live owner; throws (naming `workload`) if
/// any of it fails.
class cluster_child {
public:
  cluster_child(const std::string& workload, const zookeeper_child& zk,
                const std::string& dir, const std::string& name,
                size_t nodes, uint32_t shards);

  /// SIGTERMs every node (at most 30 s each).
  ~cluster_child();

  cluster_child(const cluster_child&) = delete;
  cluster_child& operator=(const cluster_child&) = delete;

  /// A connect_cluster client of it; throws if it cannot connect.
  std::unique_ptr<entact::database> connect() const;

  /// The node owning `id`'s shard by the map read at start.
  const std::string& owner_of(const std::string& id) const;

  /// Creates every id with `value`, waiting (at most 60 s) for nodes still
  /// catching up with the map; throws if one is not created at version 1.
  void create_all(entact::database& db, const std::vector<std::string>& ids,
                  const std::string& value) const;

private:
  std::string workload_;
  std::string address_;
  std::unique_ptr<entact::cluster::zk_session> admin_;
  entact::cluster::cluster_view view_;
  std::vector<std::unique_ptr<server_child>> servers_;
};

} // namespace bench
