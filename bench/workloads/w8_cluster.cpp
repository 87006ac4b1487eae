#include "workloads/w8_cluster.hpp"

#include <iostream>
#include <thread>

#include "harness/format.hpp"
#include "systems/cluster_child.hpp"
#include "systems/versioned_updates.hpp"

namespace bench {

namespace {

constexpr uint32_t w8_shards = 12;

/// A cluster `name` of `nodes` entactd children (sync on) on `zk`,
/// measured through connect_cluster.
run_result measure_cluster(const config& cfg, report& rep,
                           const zookeeper_child& zk, const std::string& dir,
                           const std::string& name, size_t nodes,
                           const dataset& data) {
  cluster_child cluster{"W8", zk, dir, name, nodes, w8_shards};
  auto db = cluster.connect();
  cluster.create_all(*db, data.ids, make_value(data.value_bytes, 0));
  known_versions kv{data.size()};
  auto r = run_blocking_updates(*db, data, kv, cfg.w8_clients, cfg.timing,
                                data.value_bytes);
  auto label = std::to_string(nodes) + "-node cluster";
  print_run(label, r);
  verify_versions(rep, "W8 " + label + ": no lost or invented update", data,
                  kv, r.ok_total, *db);
  rep.verify_no_errors("W8 " + label + ": no errors", {r});
  rep.add({"W8", label, true, nodes == 3, r, {},
           std::to_string(cfg.w8_clients) + " threads, update() through "
             "connect_cluster, " + std::to_string(w8_shards) + " shards, "
             "sync on"});
  db.reset(); // the client goes before its nodes
  return r;
}

} // namespace

void run_cluster(const config& cfg, report& rep) {
  auto cores = std::thread::hardware_concurrency();
  rep.begin("W8", "durable single-entity updates through connect_cluster: "
                  "3 entactd nodes vs 1, with ZooKeeper, all on this "
                  "machine's "
                    + std::to_string(cores) + " cores, "
                    + std::to_string(cfg.w8_entities) + " entities");
  temp_dir dir{cfg.dir, "w8-cluster"};
  zookeeper_child zk{dir.path()};
  dataset data("w8", cfg.w8_entities, cfg.value_bytes);
  auto one = measure_cluster(cfg, rep, zk, dir.path(), "one", 1, data);
  auto three = measure_cluster(cfg, rep, zk, dir.path(), "three", 3, data);
  auto ratio = one.ops_per_s() > 0 ? three.ops_per_s() / one.ops_per_s() : 0;
  std::cout << "  3 nodes / 1 node: " << fmt(ratio, 2)
            << "x (the nodes share " << cores
            << " cores here: the cluster pays for routing and more "
               "processes, and gains no CPU)"
            << std::endl;
}

} // namespace bench
