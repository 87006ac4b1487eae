#include "workloads/w8_cluster.hpp"

#include <filesystem>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <thread>

#include <entact/connect_cluster.hpp>

#include "entact/cluster/cluster_admin.hpp"
#include "harness/format.hpp"
#include "systems/server_child.hpp"
#include "systems/versioned_updates.hpp"
#include "systems/zookeeper_child.hpp"

namespace bench {

namespace {

constexpr uint32_t w8_shards = 12;

std::unique_ptr<entact::cluster::zk_session>
admin_session(const zookeeper_child& zk) {
  entact::cluster::zk_session::options opts;
  opts.hosts = zk.hosts();
  opts.connect_timeout = std::chrono::seconds{30};
  auto s = entact::cluster::zk_session::open(std::move(opts));
  if (!s)
    throw std::runtime_error("W8: no ZooKeeper session: "
                             + caf::to_string(s.error()));
  return std::move(*s);
}

/// Waits (at most 60 s) until every shard of `name` has a live owner.
void wait_all_owned(entact::cluster::zk_session& admin,
                    const std::string& name) {
  auto deadline = clock::now() + std::chrono::seconds{60};
  while (clock::now() < deadline) {
    auto v = read_cluster(admin, name);
    bool owned = v.engaged();
    if (v)
      for (auto& e : v->map)
        owned = owned && v->is_live(e.record.owner);
    if (owned)
      return;
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
  }
  throw std::runtime_error("W8: the shards of " + name + " were not assigned");
}

/// Creates every id (version 1), waiting for nodes still catching up with
/// the map.
void create_all(entact::database& db, const dataset& data) {
  auto deadline = clock::now() + std::chrono::seconds{60};
  for (auto& id : data.ids)
    for (;;) {
      auto r = db.create(id, make_value(data.value_bytes, 0));
      if (r && r->version == 1)
        break;
      if (r || clock::now() > deadline)
        throw std::runtime_error("W8: create " + id + ": "
                                 + (r ? "not at version 1"
                                      : caf::to_string(r.error())));
      std::this_thread::sleep_for(std::chrono::milliseconds{20});
    }
}

/// A cluster `name` of `nodes` entactd children (sync on) on `zk`,
/// measured through connect_cluster.
run_result measure_cluster(const config& cfg, report& rep,
                           const zookeeper_child& zk, const std::string& dir,
                           const std::string& name, size_t nodes,
                           const dataset& data) {
  auto admin = admin_session(zk);
  if (auto err = create_cluster(*admin, name, w8_shards))
    throw std::runtime_error("W8: create " + name + ": "
                             + caf::to_string(err));
  std::vector<std::unique_ptr<server_child>> servers;
  for (size_t i = 1; i <= nodes; ++i) {
    auto node = "n" + std::to_string(i);
    auto home = dir + "/" + name + "-" + node;
    std::filesystem::create_directories(home);
    servers.push_back(std::make_unique<server_child>(
      home, home + "/data", true,
      std::vector<std::string>{"--cluster=" + zk.hosts() + "/" + name,
                               "--node-id=" + node,
                               "--cluster-min-members="
                                 + std::to_string(nodes)}));
  }
  wait_all_owned(*admin, name);
  auto db = entact::connect_cluster(zk.hosts() + "/" + name);
  if (!db)
    throw std::runtime_error("W8: connect_cluster: "
                             + caf::to_string(db.error()));
  create_all(**db, data);
  known_versions kv{data.size()};
  auto r = run_blocking_updates(**db, data, kv, cfg.w8_clients, cfg.timing,
                                data.value_bytes);
  auto label = std::to_string(nodes) + "-node cluster";
  print_run(label, r);
  verify_versions(rep, "W8 " + label + ": no lost or invented update", data,
                  kv, r.ok_total, **db);
  rep.verify_no_errors("W8 " + label + ": no errors", {r});
  rep.add({"W8", label, true, nodes == 3, r, {},
           std::to_string(cfg.w8_clients) + " threads, update() through "
             "connect_cluster, " + std::to_string(w8_shards) + " shards, "
             "sync on"});
  db->reset();
  for (auto& s : servers)
    s->stop(std::chrono::seconds{30});
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
