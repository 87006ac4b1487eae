#pragma once

#include <chrono>
#include <cstring>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support/server_process.hpp"
#include "support/temp_dir.hpp"
#include "support/wait_until.hpp"

namespace entact::test {

/// Debian's ZooKeeper (package `zookeeper`): the server jar names its
/// dependencies in its manifest; slf4j-nop keeps its log off our output.
inline const char* zookeeper_classpath() {
  return "/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-nop.jar";
}

/// A free loopback port: bound, read, released (ZooKeeper binds it a moment
/// later; `zookeeper_process` retries on the rare clash).
inline uint16_t free_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    throw std::runtime_error("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0
      || ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot bind a loopback port");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

/// Asks ZooKeeper's "ruok" four-letter word on 127.0.0.1:`port`; true if it
/// answered "imok" within a second.
inline bool zookeeper_answers(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  bool ok = false;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0
      && ::send(fd, "ruok", 4, MSG_NOSIGNAL) == 4) {
    pollfd p{fd, POLLIN, 0};
    char buf[8] = {};
    if (::poll(&p, 1, 1000) == 1 && ::recv(fd, buf, 4, MSG_WAITALL) == 4)
      ok = std::memcmp(buf, "imok", 4) == 0;
  }
  ::close(fd);
  return ok;
}

/// A real standalone ZooKeeper server as a plain child process, with its
/// own zoo.cfg and data directory in a temp dir and a free loopback port:
/// nothing of /etc/zookeeper is used. Stopped by PID (SIGTERM, then SIGKILL
/// after 5 s) when the object dies; `restart()` keeps port and data.
class zookeeper_process {
public:
  /// `tick_ms` sets ZooKeeper's tick; sessions get 2..20 ticks, so the
  /// default 250 ms allows session timeouts of 0.5 s to 5 s.
  explicit zookeeper_process(int tick_ms = 250) : tick_ms_(tick_ms) {
    for (int attempt = 0;; ++attempt) {
      port_ = free_loopback_port();
      if (start() || attempt == 2)
        break;
    }
    if (!proc_)
      throw std::runtime_error("ZooKeeper did not start (java installed?)");
  }

  ~zookeeper_process() {
    stop();
  }

  zookeeper_process(const zookeeper_process&) = delete;
  zookeeper_process& operator=(const zookeeper_process&) = delete;

  uint16_t port() const {
    return port_;
  }

  /// The connect string for clients: "127.0.0.1:PORT".
  std::string hosts() const {
    return "127.0.0.1:" + std::to_string(port_);
  }

  pid_t pid() const {
    return proc_ ? proc_->pid() : -1;
  }

  /// SIGTERM, then SIGKILL if it has not exited within 5 s.
  void stop() {
    if (!proc_)
      return;
    proc_->signal(SIGTERM);
    if (proc_->wait_exit_for(std::chrono::seconds{5}) == -1000) {
      proc_->signal(SIGKILL);
      proc_->wait_exit();
    }
    proc_.reset();
  }

  /// Freezes the server (SIGSTOP): connections stay open, nothing is
  /// answered. `resume` thaws it.
  void pause() {
    proc_->signal(SIGSTOP);
  }

  void resume() {
    proc_->signal(SIGCONT);
  }

  /// Stops and starts again on the same port and data directory (sessions
  /// survive if their timeout has not run out meanwhile).
  void restart() {
    stop();
    if (!start())
      throw std::runtime_error("ZooKeeper did not restart");
  }

private:
  void write_config() {
    std::ofstream cfg{dir_.sub("zoo.cfg")};
    cfg << "tickTime=" << tick_ms_ << "\n"
        << "dataDir=" << dir_.sub("data") << "\n"
        << "clientPort=" << port_ << "\n"
        << "clientPortAddress=127.0.0.1\n"
        << "maxClientCnxns=0\n"
        << "admin.enableServer=false\n"
        << "4lw.commands.whitelist=ruok,srvr\n";
  }

  /// Starts the JVM and waits (30 s at most) until it answers "ruok".
  bool start() {
    write_config();
    proc_ = std::make_unique<child_process>(std::vector<std::string>{
      "/usr/bin/java", "-Xmx128m", "-XX:+UseSerialGC", "-cp",
      zookeeper_classpath(), "org.apache.zookeeper.server.ZooKeeperServerMain",
      dir_.sub("zoo.cfg")});
    bool exited = false;
    auto ready = [&] {
      // A JVM that exits (its port taken meanwhile) ends the wait; it is
      // reaped here, so it must not be signalled afterwards.
      exited = proc_->wait_exit_for(std::chrono::milliseconds{0}) != -1000;
      return exited || zookeeper_answers(port_);
    };
    if (wait_until(ready, std::chrono::seconds{30},
                   std::chrono::milliseconds{50})
        && !exited)
      return true;
    if (exited)
      proc_.reset();
    stop();
    return false;
  }

  int tick_ms_;
  temp_dir dir_;
  uint16_t port_ = 0;
  std::unique_ptr<child_process> proc_;
};

} // namespace entact::test
