// The cap on connections from one IP address (issue 9, "Trust no byte";
// entactd --max-connections-per-ip, `serve_options::max_connections_per_ip`):
// without it, one host could take every `max_connections` slot and lock
// every other client out. Peers from 127.0.0.1 and 127.0.0.2 (both
// loopback) against a real entactd; every wait is for a condition.

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "entact/client.hpp"
#include "support/basp_frames.hpp"
#include "support/print.hpp"
#include "support/raw_conn.hpp"
#include "support/remote_client.hpp"
#include "support/server_process.hpp"
#include "support/wait_until.hpp"

using namespace entact;
using namespace entact::test;
using namespace std::chrono_literals;

namespace {

/// True if a connection from `source` (a loopback address) to `port`
/// receives the server's BASP handshake within 5 s: it got through the
/// guard.
bool reaches_basp_from(const char* source, uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    return false;
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_in from{};
  from.sin_family = AF_INET;
  ::inet_pton(AF_INET, source, &from.sin_addr);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  uint8_t op = 0xff;
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof(from)) == 0
            && ::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof(to)) == 0
            && ::recv(fd, &op, 1, 0) == 1 && op == basp_server_handshake;
  ::close(fd);
  return ok;
}

caf::node_id next_node() {
  static uint32_t pid = 1;
  return fake_node(pid++, 0x4e);
}

} // namespace

BOOST_AUTO_TEST_CASE(one_address_gets_at_most_its_share_of_the_slots) {
  test::server_process server{{"--max-connections-per-ip=3"}};
  auto port = server.port();
  std::vector<std::unique_ptr<raw_conn>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<raw_conn>(port));
    BOOST_REQUIRE(read_server_handshake(*held.back()).node);
    BOOST_REQUIRE(held.back()->send(client_handshake(next_node())));
  }
  // A fourth from 127.0.0.1 is closed before it reaches BASP...
  raw_conn fourth{port};
  BOOST_TEST(!static_cast<bool>(read_server_handshake(fourth).node));
  BOOST_TEST(fourth.drain_until_closed(3s));
  // ...while another address is served.
  BOOST_TEST(reaches_basp_from("127.0.0.2", port));
  // Once one of the three has gone, 127.0.0.1 may connect again.
  held.pop_back();
  BOOST_TEST(wait_until([&] { return reaches_basp_from("127.0.0.1", port); },
                        10s, 20ms));
  held.pop_back(); // room for the client even while the probe still closes
  auto db = connect_or_throw(port, 10s);
  BOOST_TEST(code(db->create("k", "1")) == errc::none);
  BOOST_TEST(server.running());
}

BOOST_AUTO_TEST_CASE(no_cap_by_default) {
  test::server_process server;
  std::vector<std::unique_ptr<raw_conn>> held;
  for (int i = 0; i < 20; ++i) {
    held.push_back(std::make_unique<raw_conn>(server.port()));
    BOOST_TEST(static_cast<bool>(read_server_handshake(*held.back()).node));
  }
}
