#pragma once

// Raw TCP connections to a server's port, and CAF 0.17's BASP frame
// headers, for tests that talk to entactd below the client library.

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <unistd.h>

namespace entact::test {

/// The receive queue of the TCP socket on this machine whose own port is
/// `local_port` and whose peer's is `remote_port`: bytes that arrived and
/// that its process has not read yet (/proc/net/tcp). 0 if there is no
/// such socket.
inline size_t tcp_unread(uint16_t local_port, uint16_t remote_port) {
  auto port_of = [](const std::string& address) {
    return std::stoul(address.substr(address.rfind(':') + 1), nullptr, 16);
  };
  for (auto* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in{table};
    std::string line;
    std::getline(in, line); // the column names
    while (std::getline(in, line)) {
      // sl local_address rem_address st tx_queue:rx_queue ...
      std::istringstream fields{line};
      std::string slot, local, remote, state, queues;
      if (fields >> slot >> local >> remote >> state >> queues
          && port_of(local) == local_port && port_of(remote) == remote_port)
        return std::stoul(queues.substr(queues.find(':') + 1), nullptr, 16);
    }
  }
  return 0;
}

/// A plain TCP connection to 127.0.0.1:port with 1 s send/receive timeouts.
/// Sends never raise SIGPIPE; a server that hangs up early is fine.
class raw_conn {
public:
  explicit raw_conn(uint16_t port) : port_(port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0)
      throw std::runtime_error("socket failed");
    timeval tv{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr),
                           sizeof(addr))
                 == 0;
  }

  ~raw_conn() {
    close();
  }

  raw_conn(const raw_conn&) = delete;
  raw_conn& operator=(const raw_conn&) = delete;

  bool connected() const {
    return connected_;
  }

  /// Replaces the 1 s send and receive timeouts (0: none).
  void set_timeouts(std::chrono::milliseconds limit) {
    timeval tv{static_cast<time_t>(limit.count() / 1000),
               static_cast<suseconds_t>(limit.count() % 1000 * 1000)};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  }

  /// Sends what it can; false once the peer hung up or the send timed out.
  bool send(const std::vector<uint8_t>& bytes) {
    size_t done = 0;
    while (done < bytes.size()) {
      auto n = ::send(fd_, bytes.data() + done, bytes.size() - done,
                      MSG_NOSIGNAL);
      if (n <= 0)
        return false;
      done += static_cast<size_t>(n);
    }
    return true;
  }

  /// Reads exactly `n` bytes (false on EOF, error or 1 s without data).
  bool recv_exact(std::vector<uint8_t>& out, size_t n) {
    out.resize(n);
    size_t done = 0;
    while (done < n) {
      auto r = ::recv(fd_, out.data() + done, n - done, 0);
      if (r <= 0)
        return false;
      done += static_cast<size_t>(r);
    }
    return true;
  }

  /// Reads and discards whatever arrives for at most `limit`; returns true
  /// if the server closed the connection meanwhile.
  bool drain_until_closed(std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    std::array<uint8_t, 4096> buf;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0)
        continue;
      auto r = ::recv(fd_, buf.data(), buf.size(), MSG_DONTWAIT);
      if (r == 0)
        return true;
      if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
        return true;
    }
    return false;
  }

  /// How many of the bytes sent on this connection the server's process
  /// has not read yet: those still on their way (not yet acknowledged by
  /// its kernel) and those waiting in its receive queue. 0 once it has
  /// closed its end.
  size_t unread_by_server() const {
    int on_the_way = 0;
    if (::ioctl(fd_, SIOCOUTQ, &on_the_way) != 0 || on_the_way < 0)
      on_the_way = 0;
    sockaddr_in self{};
    socklen_t len = sizeof(self);
    if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&self), &len) != 0)
      return static_cast<size_t>(on_the_way);
    return static_cast<size_t>(on_the_way)
           + tcp_unread(port_, ntohs(self.sin_port));
  }

  /// True once the server has closed its end (its FIN or RST arrived),
  /// found without reading anything.
  bool closed_by_server() const {
    tcp_info info{};
    socklen_t len = sizeof(info);
    if (::getsockopt(fd_, IPPROTO_TCP, TCP_INFO, &info, &len) != 0)
      return true;
    return info.tcpi_state == TCP_CLOSE_WAIT || info.tcpi_state == TCP_CLOSE;
  }

  /// Closes with a RST instead of a FIN.
  void reset() {
    linger l{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
    close();
  }

  void close() {
    if (fd_ >= 0)
      ::close(fd_);
    fd_ = -1;
  }

private:
  uint16_t port_;
  int fd_ = -1;
  bool connected_ = false;
};

// CAF 0.17's BASP header (caf/io/basp/header.hpp), as its binary serializer
// writes it: operation u8, two padding bytes, flags u8, payload_len u32,
// operation_data u64, source_actor u64, dest_actor u64; big endian; 32 bytes
// (caf::io::basp::header_size).
inline constexpr size_t basp_header_size = 32;
inline constexpr uint8_t basp_server_handshake = 0x00;
inline constexpr uint8_t basp_client_handshake = 0x01;
inline constexpr uint8_t basp_direct_message = 0x02;
inline constexpr uint8_t basp_heartbeat = 0x06;
inline constexpr uint64_t basp_version = 3; // caf/io/basp/version.hpp

inline void put_be(std::vector<uint8_t>& out, uint64_t x, int bytes) {
  for (int i = bytes - 1; i >= 0; --i)
    out.push_back(static_cast<uint8_t>(x >> (8 * i)));
}

inline std::vector<uint8_t> basp_header(uint8_t op, uint32_t payload_len,
                                        uint64_t operation_data,
                                        uint64_t source_actor = 0,
                                        uint64_t dest_actor = 0,
                                        uint8_t flags = 0) {
  std::vector<uint8_t> out;
  out.push_back(op);
  out.push_back(0);
  out.push_back(0);
  out.push_back(flags);
  put_be(out, payload_len, 4);
  put_be(out, operation_data, 8);
  put_be(out, source_actor, 8);
  put_be(out, dest_actor, 8);
  return out;
}

inline uint32_t get_be32(const std::vector<uint8_t>& in, size_t pos) {
  uint32_t x = 0;
  for (size_t i = 0; i < 4; ++i)
    x = (x << 8) | in[pos + i];
  return x;
}

inline std::vector<uint8_t> random_bytes(std::mt19937& rng, size_t n) {
  std::uniform_int_distribution<int> byte(0, 255);
  std::vector<uint8_t> out(n);
  for (auto& b : out)
    b = static_cast<uint8_t>(byte(rng));
  return out;
}

inline std::vector<uint8_t> concat(std::vector<uint8_t> a,
                                   const std::vector<uint8_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

} // namespace entact::test
