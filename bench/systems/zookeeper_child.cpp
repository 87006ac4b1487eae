#include "systems/zookeeper_child.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "harness/util.hpp"

extern char** environ;

namespace bench {

uint16_t free_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  uint16_t port = 0;
  if (fd >= 0
      && ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0
      && ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
    port = ntohs(addr.sin_port);
  if (fd >= 0)
    ::close(fd);
  return port;
}

namespace {

/// True if ZooKeeper on `port` answers "ruok" with "imok" within a second.
bool answers(uint16_t port) {
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
    char buf[4] = {};
    if (::poll(&p, 1, 1000) == 1 && ::recv(fd, buf, 4, MSG_WAITALL) == 4)
      ok = std::memcmp(buf, "imok", 4) == 0;
  }
  ::close(fd);
  return ok;
}

} // namespace

zookeeper_child::zookeeper_child(const std::string& dir) {
  // A port taken between the probe and the JVM's bind: another one.
  for (int attempt = 0; attempt < 3; ++attempt)
    if (start(dir))
      return;
  throw std::runtime_error("ZooKeeper did not start (java and the "
                           "zookeeper package installed?)");
}

zookeeper_child::~zookeeper_child() {
  stop();
}

bool zookeeper_child::start(const std::string& dir) {
  port_ = free_loopback_port();
  {
    std::ofstream cfg{dir + "/zoo.cfg"};
    cfg << "tickTime=250\ndataDir=" << dir << "/zk\nclientPort=" << port_
        << "\nclientPortAddress=127.0.0.1\nmaxClientCnxns=0\n"
        << "admin.enableServer=false\n4lw.commands.whitelist=ruok\n";
  }
  std::vector<std::string> argv{
    "/usr/bin/java", "-Xmx128m", "-XX:+UseSerialGC", "-cp",
    "/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-nop.jar",
    "org.apache.zookeeper.server.ZooKeeperServerMain", dir + "/zoo.cfg"};
  std::vector<char*> args;
  for (auto& a : argv)
    args.push_back(a.data());
  args.push_back(nullptr);
  auto log = dir + "/zookeeper.log";
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  auto rc = posix_spawn(&pid_, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    pid_ = -1;
    return false;
  }
  auto deadline = clock::now() + std::chrono::seconds{60};
  while (clock::now() < deadline) {
    if (answers(port_))
      return true;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1; // exited (its port was taken): reaped
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
  }
  stop();
  return false;
}

void zookeeper_child::stop() {
  if (pid_ <= 0)
    return;
  ::kill(pid_, SIGTERM);
  auto deadline = clock::now() + std::chrono::seconds{5};
  while (clock::now() < deadline) {
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  ::kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

} // namespace bench
