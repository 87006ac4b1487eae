// An embedded `serve` leaves nothing behind when its engine closes: the
// frame guard quits with its listening socket closed before the actor
// system stops, however the shutdown goes (the listener stopped first or
// not at all, peers still connected, a stop right after serve). CAF 0.17.6
// keeps a doorman it was never told had left its event loop, and with it
// the socket; so every round counts the process's sockets before the
// engine opens and after it closes: a kept doorman (or guard) is a socket
// more. (Under LeakSanitizer the same rounds would report the memory.)

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <fstream>
#include <set>
#include <memory>
#include <string>

#include <caf/io/middleman.hpp>

#include "entact/client.hpp"
#include "entact/engine.hpp"
#include "entact/serve.hpp"
#include "support/proc_sockets.hpp"
#include "support/raw_conn.hpp"
#include "support/remote_client.hpp"
#include "support/temp_dir.hpp"
#include "support/wait_until.hpp"

using namespace entact;
using namespace std::chrono_literals;
using entact::test::temp_dir;

namespace {

size_t my_sockets() {
  return test::socket_inodes(::getpid()).size();
}

/// The /proc/net lines (tcp, tcp6, unix) of the sockets this process holds
/// that `before` did not: what a failure names.
std::string new_sockets(const std::set<std::string>& before) {
  std::string out;
  for (auto& inode : test::socket_inodes(::getpid())) {
    if (before.count(inode))
      continue;
    out += "\n  socket " + inode + ":";
    for (auto* table : {"tcp", "tcp6", "unix"}) {
      std::ifstream in{std::string{"/proc/self/net/"} + table};
      std::string line;
      while (std::getline(in, line))
        if (line.find(" " + inode + " ") != std::string::npos
            || (line.size() >= inode.size()
                && line.compare(line.size() - inode.size(), inode.size(),
                                inode) == 0))
          out += std::string{" "} + table + ": " + line;
    }
  }
  return out;
}

std::unique_ptr<engine> open_engine(const temp_dir& dir, int round) {
  auto cfg = std::make_unique<entact::config>();
  cfg->load<caf::io::middleman>();
  engine_options eo;
  eo.path = dir.sub("db" + std::to_string(round));
  eo.sync = false;
  auto eng = engine::open(eo, std::move(cfg));
  if (!eng)
    throw std::runtime_error("open failed: " + to_string(eng.error()));
  return std::move(*eng);
}

serve_options quiet() {
  serve_options so;
  so.handshake_timeout = 200ms; // the guard's tick runs often
  so.log = [](const std::string&) {};
  return so;
}

/// How a round ends.
enum class ending {
  stop_then_close,      // entactd's order
  close_without_stop,   // an embedding service that forgets the listener
  stop_at_once,         // stop right after serve, nothing served
  close_with_a_client,  // a real client still connected
  close_with_a_raw_peer // a peer that never finished its handshake
};

void run_round(const temp_dir& dir, int round, ending how) {
  auto before_set = test::socket_inodes(::getpid());
  auto before = before_set.size();
  {
    auto eng = open_engine(dir, round);
    auto srv = serve(*eng, quiet());
    BOOST_REQUIRE(srv);
    auto port = (*srv)->port();
    switch (how) {
      case ending::stop_then_close:
        BOOST_REQUIRE(eng->create("k", "v"));
        (*srv)->stop();
        eng->close();
        break;
      case ending::close_without_stop:
        eng->close();
        break;
      case ending::stop_at_once:
        (*srv)->stop();
        eng->close();
        break;
      case ending::close_with_a_client: {
        auto db = test::connect_or_throw(port);
        BOOST_REQUIRE(db->create("k", "v"));
        eng->close(); // the listener is not stopped, the peer connected
        break;
      }
      case ending::close_with_a_raw_peer: {
        test::raw_conn peer{port};
        BOOST_REQUIRE(peer.send({0x00}));
        (*srv)->stop();
        eng->close();
        break;
      }
    }
  }
  // A socket CAF closes on its multiplexer thread may still be closing.
  test::wait_until([&] { return my_sockets() == before; },
                   std::chrono::seconds{5});
  BOOST_TEST(my_sockets() == before,
             "round " << round << ": " << my_sockets() << " sockets, "
                      << before << " before the engine opened"
                      << new_sockets(before_set));
}

} // namespace

BOOST_AUTO_TEST_SUITE(remote_serve_shutdown)

BOOST_AUTO_TEST_CASE(no_socket_is_left_behind_however_the_engine_closes) {
  temp_dir dir;
  int round = 0;
  for (int i = 0; i < 6; ++i)
    for (auto how : {ending::stop_then_close, ending::close_without_stop,
                     ending::stop_at_once, ending::close_with_a_client,
                     ending::close_with_a_raw_peer})
      run_round(dir, round++, how);
}

BOOST_AUTO_TEST_SUITE_END()
