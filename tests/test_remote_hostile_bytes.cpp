// Hostile bytes on entactd's port: garbage, truncated and out-of-order
// frames, huge declared payloads, and connections that open and close in
// bulk. The server must stay up, and a well-behaved client working
// meanwhile must never notice. Everything runs against a real entactd on
// 127.0.0.1; every loop and wait is bounded.

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "entact/client.hpp"
#include "support/print.hpp"
#include "support/proc_info.hpp"
#include "support/raw_conn.hpp"
#include "support/remote_client.hpp"
#include "support/server_process.hpp"
#include "support/wait_until.hpp"

using namespace entact;
using namespace entact::test;
using namespace std::chrono_literals;
using std::chrono::steady_clock;

namespace {

// -- a well-behaved client working while the server is abused -----------------

/// Keeps a client busy in a thread: versioned updates of its own counter,
/// each read back. Every call must succeed and every value must be intact.
class steady_user {
public:
  steady_user(client& db, std::string id) : db_(db), id_(std::move(id)) {
    auto rec = db_.create(id_, "0");
    if (!rec)
      throw std::runtime_error("create failed: " + to_string(rec.error()));
    version_ = rec->version;
    thread_ = std::thread{[this] { run(); }};
  }

  ~steady_user() {
    stop();
  }

  void stop() {
    stopping_ = true;
    if (thread_.joinable())
      thread_.join();
  }

  uint64_t ops() const {
    return ops_;
  }

  uint64_t failures() const {
    return failures_;
  }

  uint64_t count() const {
    return count_;
  }

  std::string first_failure() {
    std::lock_guard<std::mutex> guard{mtx_};
    return first_failure_;
  }

private:
  void fail(const std::string& what) {
    ++failures_;
    std::lock_guard<std::mutex> guard{mtx_};
    if (first_failure_.empty())
      first_failure_ = what;
  }

  void run() {
    while (!stopping_ && failures_ == 0) {
      auto next = std::to_string(count_ + 1);
      auto w = db_.update(id_, version_, next);
      if (!w) {
        fail("update: " + to_string(w.error()));
        return;
      }
      version_ = w->version;
      ++count_;
      auto r = db_.read(id_);
      if (!r) {
        fail("read: " + to_string(r.error()));
        return;
      }
      if (r->value != next || r->version != version_)
        fail("read " + r->value + " v" + std::to_string(r->version)
             + ", expected " + next + " v" + std::to_string(version_));
      ++ops_;
      std::this_thread::sleep_for(2ms); // a steady pace, not a flood
    }
  }

  client& db_;
  std::string id_;
  version_t version_ = 0;
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> ops_{0};
  std::atomic<uint64_t> failures_{0};
  std::atomic<bool> stopping_{false};
  std::mutex mtx_;
  std::string first_failure_;
  std::thread thread_;
};

} // namespace

BOOST_AUTO_TEST_SUITE(hostile_bytes)

BOOST_AUTO_TEST_CASE(garbage_and_truncated_frames_do_not_disturb_clients) {
  test::server_process server;
  auto port = server.port();
  auto before = connect_or_throw(port, 10s); // connected before the abuse
  BOOST_REQUIRE(before->create("kept", "precious"));
  steady_user user{*before, "steady"};
  std::mt19937 rng{42};
  auto start = steady_clock::now();
  auto check_alive = [&](const char* what) {
    BOOST_TEST(server.running(), "entactd died after: " << what);
    BOOST_TEST(user.failures() == 0u,
               "client disturbed by " << what << ": " << user.first_failure());
  };

  // A connection that never says a word stays open all along.
  raw_conn silent{port};
  BOOST_TEST(silent.connected());

  // Random bytes, various lengths, some ending in a RST.
  for (int i = 0; i < 20; ++i) {
    raw_conn c{port};
    BOOST_REQUIRE(c.connected());
    c.send(random_bytes(rng, size_t{1} << (i % 16)));
    if (i % 2)
      c.reset();
  }
  check_alive("random bytes");

  // A plausible client handshake header, truncated at every length.
  auto hs = basp_header(basp_client_handshake, 64, basp_version);
  for (size_t n = 1; n < basp_header_size; ++n) {
    raw_conn c{port};
    c.send({hs.begin(), hs.begin() + static_cast<ptrdiff_t>(n)});
  }
  check_alive("truncated headers");

  // A whole handshake header whose payload is cut short, or is garbage.
  {
    raw_conn c{port};
    c.send(concat(hs, random_bytes(rng, 20)));
  }
  for (int i = 0; i < 10; ++i) {
    raw_conn c{port};
    c.send(concat(hs, random_bytes(rng, 64)));
    c.drain_until_closed(200ms);
  }
  check_alive("handshakes with garbage payloads");

  // Messages that are not allowed before a handshake, and unknown types.
  for (uint8_t op : {basp_direct_message, basp_server_handshake,
                     basp_heartbeat, uint8_t{0x05}, uint8_t{0x04},
                     uint8_t{0x07}, uint8_t{0xff}}) {
    raw_conn c{port};
    c.send(concat(basp_header(op, 48, basp_version, 1, 1),
                  random_bytes(rng, 48)));
    c.drain_until_closed(100ms);
  }
  {
    raw_conn c{port}; // heartbeats only, a burst of them
    std::vector<uint8_t> beats;
    for (int i = 0; i < 100; ++i)
      beats = concat(beats, basp_header(basp_heartbeat, 0, 0));
    c.send(beats);
  }
  check_alive("messages out of order");

  // Large declared payloads (64 MiB, far beyond any real request),
  // followed by a close, by a little and then a close, or by silence. (The
  // 4 GiB case is its own test below: CAF 0.17 allocates what a header
  // declares.)
  {
    raw_conn c{port};
    c.send(basp_header(basp_client_handshake, 64u << 20, basp_version));
  }
  raw_conn hanging{port}; // declares 64 MiB, sends 1 KiB, then waits
  hanging.send(concat(basp_header(basp_client_handshake, 64u << 20,
                                  basp_version),
                      random_bytes(rng, 1024)));
  {
    raw_conn c{port};
    c.send(concat(basp_header(basp_direct_message, 64u << 20, 0, 1, 1),
                  random_bytes(rng, 100)));
  }
  check_alive("huge declared payloads");

  // The server's own handshake, echoed back as a client handshake: a
  // well-formed payload claiming to be the server's own node.
  {
    raw_conn c{port};
    std::vector<uint8_t> hdr;
    std::vector<uint8_t> payload;
    if (c.recv_exact(hdr, basp_header_size)
        && c.recv_exact(payload, get_be32(hdr, 4))) {
      hdr[0] = basp_client_handshake;
      c.send(concat(hdr, payload));
      c.drain_until_closed(200ms);
    } else {
      BOOST_TEST_MESSAGE("no server handshake read; echo skipped");
    }
  }
  check_alive("its own handshake echoed");

  // Many connections opening and closing, some with a RST.
  for (int i = 0; i < 200; ++i) {
    raw_conn c{port};
    BOOST_REQUIRE(c.connected());
    if (i % 3 == 0)
      c.reset();
  }
  check_alive("200 connections opened and closed");

  // Still serving: the old client, a new one, and the data is intact.
  auto during = connect_or_throw(port, 10s); // while two raw conns hang
  BOOST_TEST(during->read("kept")->value == "precious");
  BOOST_TEST(code(during->create("during", "x")) == errc::none);
  hanging.close();
  silent.close();
  // The server handles the two hang-ups while the steady client is still
  // at work: a few more of its rounds are served after they arrived.
  auto rounds = user.ops();
  wait_until([&] { return user.ops() >= rounds + 3 || user.failures() > 0; },
             10s);
  user.stop();
  check_alive("everything");
  BOOST_TEST(user.ops() > 0u);
  BOOST_TEST(before->read("steady")->value == std::to_string(user.count()));
  BOOST_TEST(before->read("kept")->value == "precious");
  BOOST_TEST(code(before->write_unconditionally("after", "y")) == errc::none);
  auto after = connect_or_throw(port, 10s);
  BOOST_TEST(after->read("during")->value == "x");
  BOOST_TEST(after->read("after")->value == "y");
  BOOST_TEST(after->read("steady")->value == std::to_string(user.count()));
  BOOST_TEST_MESSAGE("abuse took "
                     << std::chrono::duration_cast<std::chrono::milliseconds>(
                          steady_clock::now() - start)
                          .count()
                     << " ms; the steady client made " << user.ops()
                     << " write+read rounds meanwhile");
  before.reset();
  during.reset();
  after.reset();
  BOOST_TEST(server.stop() == 0); // and it still shuts down cleanly
}

// CAF 0.17.6's BASP broker allocates and zero-fills whatever payload
// length a header declares, before a single payload byte arrives: one
// 32-byte header declaring 4 GiB made entactd's RSS reach 4.2 GB, and its
// I/O thread stalled for seconds meanwhile. entactd's frame guard (see
// test_remote_frame_guard) disconnects such a peer before BASP sees the
// header. This test declares 1 GiB, so that it stays affordable on a CI
// machine even if the guard fails.
BOOST_AUTO_TEST_CASE(a_huge_declared_payload_is_not_allocated) {
  test::server_process server;
  auto pid = child_named("entactd");
  BOOST_REQUIRE(pid > 0);
  auto db = connect_or_throw(server.port(), 10s);
  BOOST_REQUIRE(db->create("x", "1"));
  auto base = peak_rss_kib(pid);
  raw_conn c{server.port()};
  c.send(basp_header(basp_client_handshake, 1u << 30, basp_version));
  wait_until([&] { return c.unread_by_server() == 0; }, 10s); // read it
  auto start = steady_clock::now();
  auto r = db->read("x"); // right behind it, on another connection
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
    steady_clock::now() - start);
  BOOST_TEST(code(r) == errc::none);
  // Time for an allocation to show in the peak RSS, were there one: what
  // must not happen has no condition to wait for.
  std::this_thread::sleep_for(1s);
  auto peak = peak_rss_kib(pid);
  BOOST_TEST_MESSAGE("a header declaring 1 GiB: entactd's peak RSS "
                     << base / 1024 << " -> " << peak / 1024
                     << " MiB; a read behind it took " << took.count()
                     << " ms");
  c.close();
  BOOST_TEST(server.running());
  BOOST_TEST(peak - base < 256u * 1024, "peak RSS grew by " << (peak - base) / 1024 << " MiB");
  // Unguarded, the I/O thread stalled for seconds allocating 1 GiB; a busy
  // machine may take some hundreds of ms for any read.
  BOOST_TEST(took.count() < 1000, "a read stalled " << took.count() << " ms");
}

BOOST_AUTO_TEST_SUITE_END()
