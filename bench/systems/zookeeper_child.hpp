#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace bench {

/// A loopback port the kernel had free a moment ago (0 if none).
uint16_t free_loopback_port();

/// A standalone ZooKeeper server (Debian's jars) as a child process, on a
/// free loopback port with its config and data in `dir`, for W8's
/// and W9's clusters. SIGTERM, then SIGKILL, when it dies.
class zookeeper_child {
public:
  /// Starts it and waits (at most 60 s) until it answers "ruok"; throws if
  /// it does not.
  explicit zookeeper_child(const std::string& dir);

  ~zookeeper_child();

  zookeeper_child(const zookeeper_child&) = delete;
  zookeeper_child& operator=(const zookeeper_child&) = delete;

  /// "127.0.0.1:PORT".
  std::string hosts() const {
    return "127.0.0.1:" + std::to_string(port_);
  }

private:
  bool start(const std::string& dir);
  void stop();

  pid_t pid_ = -1;
  uint16_t port_ = 0;
};

} // namespace bench
