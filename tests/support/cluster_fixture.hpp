#pragma once

#include <chrono>
#include <ostream>
#include <memory>
#include <stdexcept>
#include <string>

#include "entact/cluster/zk_session.hpp"
#include "entact/errc.hpp"
#include "support/print.hpp"
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

/// A ZooKeeper server and one admin session on it.
struct cluster_fixture {
  zookeeper_process zk;
  std::unique_ptr<cluster::zk_session> admin = open_session(zk);
};

} // namespace entact::test
