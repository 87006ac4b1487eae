#include "systems/cluster_child.hpp"

#include <filesystem>
#include <stdexcept>
#include <thread>

#include <entact/connect_cluster.hpp>

#include "entact/cluster/shard_hash.hpp"
#include "harness/util.hpp"

namespace bench {

namespace {

std::unique_ptr<entact::cluster::zk_session>
admin_session(const std::string& workload, const zookeeper_child& zk) {
  entact::cluster::zk_session::options opts;
  opts.hosts = zk.hosts();
  opts.connect_timeout = std::chrono::seconds{30};
  auto s = entact::cluster::zk_session::open(std::move(opts));
  if (!s)
    throw std::runtime_error(workload + ": no ZooKeeper session: "
                             + caf::to_string(s.error()));
  return std::move(*s);
}

/// Waits (at most 60 s) until every shard of `name` has a live owner, and
/// returns that view.
entact::cluster::cluster_view
wait_all_owned(const std::string& workload,
               entact::cluster::zk_session& admin, const std::string& name) {
  auto deadline = clock::now() + std::chrono::seconds{60};
  while (clock::now() < deadline) {
    auto v = read_cluster(admin, name);
    bool owned = v.engaged();
    if (v)
      for (auto& e : v->map)
        owned = owned && v->is_live(e.record.owner);
    if (owned)
      return std::move(*v);
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
  }
  throw std::runtime_error(workload + ": the shards of " + name
                           + " were not assigned");
}

} // namespace

cluster_child::cluster_child(const std::string& workload,
                             const zookeeper_child& zk, const std::string& dir,
                             const std::string& name, size_t nodes,
                             uint32_t shards)
  : workload_(workload), address_(zk.hosts() + "/" + name),
    admin_(admin_session(workload, zk)) {
  if (auto err = create_cluster(*admin_, name, shards))
    throw std::runtime_error(workload + ": create " + name + ": "
                             + caf::to_string(err));
  for (size_t i = 1; i <= nodes; ++i) {
    auto node = "n" + std::to_string(i);
    auto home = dir + "/" + name + "-" + node;
    std::filesystem::create_directories(home);
    // A fixed port (the later --port wins over server_child's --port=0):
    // with it, the node's 2PC name is its registered address.
    servers_.push_back(std::make_unique<server_child>(
      home, home + "/data", true,
      std::vector<std::string>{"--cluster=" + address_, "--node-id=" + node,
                               "--cluster-min-members="
                                 + std::to_string(nodes),
                               "--port="
                                 + std::to_string(free_loopback_port())}));
  }
  view_ = wait_all_owned(workload, *admin_, name);
}

cluster_child::~cluster_child() {
  for (auto& s : servers_)
    s->stop(std::chrono::seconds{30});
}

std::unique_ptr<entact::database> cluster_child::connect() const {
  auto db = entact::connect_cluster(address_);
  if (!db)
    throw std::runtime_error(workload_ + ": connect_cluster: "
                             + caf::to_string(db.error()));
  return std::move(*db);
}

const std::string& cluster_child::owner_of(const std::string& id) const {
  return view_.map[entact::cluster::shard_of(id, view_.shards)].record.owner;
}

void cluster_child::create_all(entact::database& db,
                               const std::vector<std::string>& ids,
                               const std::string& value) const {
  auto deadline = clock::now() + std::chrono::seconds{60};
  for (auto& id : ids)
    for (;;) {
      auto r = db.create(id, value);
      if (r && r->version == 1)
        break;
      if (r || clock::now() > deadline)
        throw std::runtime_error(workload_ + ": create " + id + ": "
                                 + (r ? "not at version 1"
                                      : caf::to_string(r.error())));
      std::this_thread::sleep_for(std::chrono::milliseconds{20});
    }
}

} // namespace bench
