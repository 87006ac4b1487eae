#pragma once

// The listening sockets of a process, as /proc shows them: what a local
// attacker finds without any help from the process.

#include <cstdint>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "support/proc_info.hpp"

namespace entact::test {

/// One listening socket: TCP (`port` set) or Unix (`path` set, starting
/// with '@' for Linux's abstract namespace, as /proc writes it).
struct listening_socket {
  uint16_t port = 0;
  std::string path;
};

/// The inodes of the sockets process `pid` holds open.
inline std::set<std::string> socket_inodes(pid_t pid) {
  auto fd_dir = "/proc/" + std::to_string(pid) + "/fd";
  std::set<std::string> out;
  for (auto& fd : numbered_entries(fd_dir)) {
    char target[256];
    auto n = ::readlink((fd_dir + "/" + fd).c_str(), target,
                        sizeof(target) - 1);
    if (n <= 0)
      continue;
    std::string link{target, static_cast<size_t>(n)};
    // "socket:[12345]"
    if (link.rfind("socket:[", 0) == 0)
      out.insert(link.substr(8, link.size() - 9));
  }
  return out;
}

/// Every TCP and Unix stream socket process `pid` listens on.
inline std::vector<listening_socket> listeners_of(pid_t pid) {
  auto mine = socket_inodes(pid);
  auto net = "/proc/" + std::to_string(pid) + "/net/";
  std::vector<listening_socket> out;
  for (auto* table : {"tcp", "tcp6"}) {
    std::ifstream in{net + table};
    std::string line;
    std::getline(in, line); // the column names
    while (std::getline(in, line)) {
      // sl local rem st tx:rx tr:when retrnsmt uid timeout inode
      std::istringstream fields{line};
      std::string sl, local, remote, state, queues, timer, retr, uid, tmo,
        inode;
      if (!(fields >> sl >> local >> remote >> state >> queues >> timer
            >> retr >> uid >> tmo >> inode))
        continue;
      if (state != "0A" || mine.count(inode) == 0) // 0A: LISTEN
        continue;
      listening_socket s;
      s.port = static_cast<uint16_t>(
        std::stoul(local.substr(local.rfind(':') + 1), nullptr, 16));
      out.push_back(s);
    }
  }
  std::ifstream in{net + "unix"};
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    // Num RefCount Protocol Flags Type St Inode Path
    std::istringstream fields{line};
    std::string num, refs, proto, flags, type, st, inode, path;
    if (!(fields >> num >> refs >> proto >> flags >> type >> st >> inode))
      continue;
    fields >> path;
    // Flags 00010000: __SO_ACCEPTCON (listening); type 0001: stream.
    if (flags != "00010000" || type != "0001" || mine.count(inode) == 0)
      continue;
    listening_socket s;
    s.path = path;
    out.push_back(s);
  }
  return out;
}

/// A connected Unix stream socket to `path` (as `listeners_of` gives it);
/// -1 if the connection fails.
inline int connect_unix(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path))
    return -1;
  std::copy(path.begin(), path.end(), addr.sun_path);
  auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path)
                                    + path.size());
  if (path[0] == '@')
    addr.sun_path[0] = '\0'; // abstract: no terminating NUL counts
  else
    len += 1;
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0)
    return -1;
  timeval tv{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

/// Connections waiting in the accept queue of the TCP listener on loopback
/// port `port` (what a frozen server's kernel accepted for it), or -1 if
/// there is no such listener. For a listener, /proc's rx_queue column is
/// that queue's length.
inline long accept_backlog(uint16_t port) {
  std::ifstream in{"/proc/net/tcp"};
  std::string line;
  std::getline(in, line); // the column names
  while (std::getline(in, line)) {
    std::istringstream fields{line};
    std::string sl, local, remote, state, queues;
    if (!(fields >> sl >> local >> remote >> state >> queues))
      continue;
    auto local_port = std::stoul(local.substr(local.rfind(':') + 1), nullptr,
                                 16);
    if (state == "0A" && local_port == port) // 0A: LISTEN
      return std::stol(queues.substr(queues.find(':') + 1), nullptr, 16);
  }
  return -1;
}

} // namespace entact::test
