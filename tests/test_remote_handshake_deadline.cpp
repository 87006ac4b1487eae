// The handshake deadline (issue 9, "Trust no byte"; entactd
// --handshake-timeout-ms, `serve_options::handshake_timeout`): a peer that
// connects and sends nothing, or dribbles a TLS ClientHello or a BASP
// handshake a byte at a time, held one of `max_connections` slots for
// ever, so that a few hundred idle sockets locked every client out. Now
// the guard closes a peer whose handshakes are not complete by the
// deadline; a peer that completed them may stay idle. Runs against a real
// entactd; every wait is for a condition, bounded.

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <caf/io/middleman.hpp>

#include "entact/client.hpp"
#include "entact/engine.hpp"
#include "entact/serve.hpp"
#include "support/basp_frames.hpp"
#include "support/print.hpp"
#include "support/raw_conn.hpp"
#include "support/remote_client.hpp"
#include "support/run_command.hpp"
#include "support/server_process.hpp"
#include "support/temp_dir.hpp"
#include "support/tls_certs.hpp"
#include "support/tls_raw_conn.hpp"
#include "support/wait_until.hpp"

using namespace entact;
using namespace entact::test;
using namespace std::chrono_literals;

namespace {

using bytes = std::vector<uint8_t>;

const tls_certs& certs() {
  static tls_certs instance;
  return instance;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// A peer that never completes its handshake: it sends `dribble` one byte
/// per `step` (nothing if empty) and notes when the server hangs up.
class slow_peer {
public:
  slow_peer(uint16_t port, bytes dribble)
    : conn_(std::make_unique<raw_conn>(port)), dribble_(std::move(dribble)) {
    if (!conn_->connected())
      throw std::runtime_error("cannot connect to entactd");
  }

  /// Sends the next byte, then looks (briefly) whether the server closed.
  void step() {
    if (closed_)
      return;
    if (sent_ < dribble_.size())
      conn_->send({dribble_[sent_++]});
    closed_ = conn_->drain_until_closed(1ms);
  }

  bool closed() const {
    return closed_;
  }

private:
  std::unique_ptr<raw_conn> conn_;
  bytes dribble_;
  size_t sent_ = 0;
  bool closed_ = false;
};

/// Steps every peer until all have been closed by the server (true) or 30 s
/// have passed.
bool all_closed(std::vector<std::unique_ptr<slow_peer>>& peers) {
  return wait_until(
    [&] {
      bool all = true;
      for (auto& p : peers) {
        p->step();
        all = all && p->closed();
      }
      return all;
    },
    30s, 20ms);
}

/// The start of a BASP client handshake declaring the largest payload the
/// guard allows: far more bytes than a dribbler sends before the deadline.
bytes basp_handshake_prefix() {
  return concat(basp_header(basp_client_handshake, 1024, 0), bytes(1024, 0));
}

/// A TLS record header announcing a 512-byte handshake record (a
/// ClientHello), then its bytes: OpenSSL waits for the whole record.
bytes tls_hello_prefix() {
  return concat(bytes{0x16, 0x03, 0x01, 0x02, 0x00}, bytes(512, 0));
}

} // namespace

BOOST_AUTO_TEST_CASE(idle_and_dribbling_peers_lose_their_slots) {
  test::server_process server{
    {"--max-connections=6", "--handshake-timeout-ms=1000"}};
  auto port = server.port();
  // One peer completes its handshake and then stays idle: it keeps its
  // slot. Five take the others and never complete theirs.
  raw_conn settled{port};
  auto hello = read_server_handshake(settled);
  BOOST_REQUIRE(hello.node);
  BOOST_REQUIRE(settled.send(client_handshake(fake_node(77, 0x3c))));
  std::vector<std::unique_ptr<slow_peer>> slow;
  for (int i = 0; i < 3; ++i)
    slow.push_back(std::make_unique<slow_peer>(port, bytes{}));
  for (int i = 0; i < 2; ++i)
    slow.push_back(std::make_unique<slow_peer>(port, basp_handshake_prefix()));
  BOOST_TEST(all_closed(slow));
  BOOST_TEST(!settled.drain_until_closed(300ms));
  BOOST_TEST(server.running());
  // The slots are free again: a real client connects and is served.
  auto db = connect_or_throw(port, 10s);
  BOOST_TEST(code(db->create("after", "1")) == errc::none);
  BOOST_TEST(db->read("after")->value == "1");
}

BOOST_AUTO_TEST_CASE(unfinished_tls_handshakes_lose_their_slots) {
  test::server_process server{{"--tls-cert=" + certs().cert("server"),
                               "--tls-key=" + certs().key("server"),
                               "--max-connections=4",
                               "--handshake-timeout-ms=1000"}};
  auto port = server.port();
  std::vector<std::unique_ptr<slow_peer>> slow;
  slow.push_back(std::make_unique<slow_peer>(port, bytes{}));
  for (int i = 0; i < 2; ++i)
    slow.push_back(std::make_unique<slow_peer>(port, tls_hello_prefix()));
  // TLS done, but no BASP handshake inside it.
  tls_raw_conn no_basp{port, certs().cert("ca")};
  BOOST_REQUIRE(no_basp.established());
  BOOST_TEST(all_closed(slow));
  BOOST_TEST(no_basp.drain_until_closed(30s));
  BOOST_TEST(server.running());
  client_options opts{"127.0.0.1", port, 10s};
  opts.tls.ca_file = certs().cert("ca");
  auto db = connect(opts);
  BOOST_REQUIRE(db);
  BOOST_TEST(code((*db)->create("after", "1")) == errc::none);
}

BOOST_AUTO_TEST_CASE(a_peer_cut_at_the_deadline_is_logged) {
  temp_dir dir;
  auto cfg = std::make_unique<entact::config>();
  cfg->load<caf::io::middleman>();
  engine_options eo;
  eo.path = dir.sub("db");
  eo.sync = false;
  auto eng = engine::open(eo, std::move(cfg));
  BOOST_REQUIRE(eng);
  std::mutex mtx;
  std::vector<std::string> lines;
  serve_options so;
  so.handshake_timeout = 200ms;
  so.log = [&](const std::string& line) {
    std::lock_guard<std::mutex> guard{mtx};
    lines.push_back(line);
  };
  auto srv = serve(**eng, so);
  BOOST_REQUIRE(srv);
  raw_conn idle{(*srv)->port()};
  BOOST_TEST(idle.drain_until_closed(30s));
  auto logged = [&] {
    std::lock_guard<std::mutex> guard{mtx};
    return !lines.empty();
  };
  BOOST_REQUIRE(wait_until(logged, 5s));
  {
    std::lock_guard<std::mutex> guard{mtx};
    BOOST_TEST_MESSAGE("logged: " << lines[0]);
    BOOST_TEST(contains(lines[0], "BASP handshake not completed within 200 ms"));
  }
  // Not positive: refused.
  serve_options zero;
  zero.handshake_timeout = 0ms;
  BOOST_TEST(code(serve(**eng, zero)) == errc::invalid_argument);
  (*srv)->stop();
  (*eng)->close();
}

BOOST_AUTO_TEST_CASE(entactd_refuses_a_handshake_timeout_of_zero) {
  temp_dir dir;
  for (auto* opt : {"--handshake-timeout-ms=0",
                    "--handshake-timeout-ms=3600001"}) {
    auto res = run_command({ENTACT_ENTACTD_PATH, "--data-dir=" + dir.sub("d"),
                            "--port=0", opt},
                           30s);
    BOOST_TEST(res.exit_code == 64, opt << ": " << res.err);
    BOOST_TEST(contains(res.err, "--handshake-timeout-ms"), res.err);
  }
}
