#pragma once

#include <chrono>
#include <ostream>
#include <memory>
#include <stdexcept>
#include <string>

#include "entact/cluster/cluster_admin.hpp"
#include "entact/cluster/zk_session.hpp"
#include "entact/errc.hpp"
#include "support/print.hpp"
#include "support/wait_until.hpp"
#include "support/zookeeper_process.hpp"

namespace entact::cluster {

inline std::ostream& operator<<(std::ostream& os, zk_state x) {
  return os << to_string(x);
}

} // namespace entact::cluster

namespace entact::test {

/// Opens a session with `zk` (the test's own server), or throws.
inline std::unique_ptr<cluster::zk_session>
open_session(const zookeeper_process& zk,
             std::chrono::milliseconds timeout = std::chrono::seconds{4}) {
  cluster::zk_session::options opts;
  opts.hosts = zk.hosts();
  opts.session_timeout = timeout;
  opts.connect_timeout = std::chrono::seconds{30};
  auto s = cluster::zk_session::open(std::move(opts));
  if (!s)
    throw std::runtime_error("no ZooKeeper session: " + to_string(s.error()));
  return std::move(*s);
}

/// Waits until every shard of cluster `name` has a live owner; returns the
/// map. Throws after 30 s.
inline cluster::cluster_view wait_all_owned(cluster::zk_session& admin,
                                            const std::string& name) {
  cluster::cluster_view view;
  auto owned = [&] {
    auto v = read_cluster(admin, name);
    if (!v)
      return false;
    view = *v;
    for (auto& e : view.map)
      if (!view.is_live(e.record.owner))
        return false;
    return true;
  };
  if (!wait_until(owned, std::chrono::seconds{30}))
    throw std::runtime_error("the shards were not assigned");
  return view;
}

/// A ZooKeeper server and one admin session on it.
struct cluster_fixture {
  zookeeper_process zk;
  std::unique_ptr<cluster::zk_session> admin = open_session(zk);

  /// Waits until every shard of cluster `name` has a live owner; returns
  /// the map.
  cluster::cluster_view wait_all_owned(const std::string& name = "c") {
    return test::wait_all_owned(*admin, name);
  }
};

/// One ZooKeeper server for every case of a test program, since each JVM
/// start costs seconds: declare `using test::shared_zookeeper;
/// BOOST_TEST_GLOBAL_FIXTURE(shared_zookeeper);` (the macro takes a plain
/// name) and reach it with `shared_zookeeper::server()`.
/// Cases keep apart by cluster name.
class shared_zookeeper {
public:
  shared_zookeeper() {
    slot() = std::make_unique<zookeeper_process>();
  }

  ~shared_zookeeper() {
    slot().reset();
  }

  static zookeeper_process& server() {
    if (!slot())
      throw std::logic_error("no shared ZooKeeper: declare the global fixture");
    return *slot();
  }

private:
  static std::unique_ptr<zookeeper_process>& slot() {
    static std::unique_ptr<zookeeper_process> zk;
    return zk;
  }
};

} // namespace entact::test
