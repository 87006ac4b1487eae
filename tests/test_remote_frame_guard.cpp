// The frame guard in front of BASP (`entact::serve`, entactd's
// --max-frame-bytes): a peer whose frame header declares more than the
// limit is disconnected before anything is allocated for it, frames within
// the limit reach BASP whole, and other clients never notice. Runs against
// a real entactd, and against an embedded engine served with
// `entact::serve`; every wait is bounded.

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <caf/io/middleman.hpp>

#include "entact/client.hpp"
#include "entact/engine.hpp"
#include "entact/serve.hpp"
#include "support/basp_frames.hpp"
#include "support/print.hpp"
#include "support/remote_client.hpp"
#include "support/txn_client.hpp"
#include "support/txn_helpers.hpp"
#include "support/proc_info.hpp"
#include "support/raw_conn.hpp"
#include "support/server_process.hpp"
#include "support/temp_dir.hpp"
#include "support/wait_until.hpp"

using namespace entact;
using namespace entact::test;
using namespace std::chrono_literals;
using std::chrono::steady_clock;

namespace {

int64_t ms_since(steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           steady_clock::now() - t)
    .count();
}

/// A client handshake header declaring `len` payload bytes.
std::vector<uint8_t> declaring(uint32_t len) {
  return basp_header(basp_client_handshake, len, basp_version);
}

/// A node id no other connection of this test claims.
caf::node_id next_node() {
  static uint32_t pid = 1;
  return fake_node(pid++);
}

/// A client's handshake, then the header of a message to `door` (the
/// front door's id) declaring `len` payload bytes: the guard waits for all
/// of them.
std::vector<uint8_t> waiting_for(uint32_t len, uint64_t door) {
  return concat(client_handshake(next_node()),
                basp_header(basp_direct_message, len, 0, 0, door));
}

/// Reads the server's handshake; the front door's id if there was one,
/// else 0.
uint64_t handshake_read(raw_conn& c) {
  auto hello = read_server_handshake(c);
  return hello.node ? hello.door : 0;
}

/// Sends `bytes` in pieces of `piece` bytes, pausing between them so that
/// each arrives on its own.
void send_in_pieces(raw_conn& c, const std::vector<uint8_t>& bytes,
                    size_t piece) {
  for (size_t i = 0; i < bytes.size(); i += piece) {
    auto end = std::min(bytes.size(), i + piece);
    c.send({bytes.begin() + static_cast<ptrdiff_t>(i),
            bytes.begin() + static_cast<ptrdiff_t>(end)});
    std::this_thread::sleep_for(2ms);
  }
}

/// An embedded engine whose actor system can network, on a fresh directory.
std::unique_ptr<engine> open_networked(const temp_dir& dir) {
  auto cfg = std::make_unique<entact::config>();
  cfg->load<caf::io::middleman>();
  engine_options opts;
  opts.path = dir.sub("db");
  opts.sync = false;
  auto eng = engine::open(opts, std::move(cfg));
  if (!eng)
    throw std::runtime_error("open failed: " + to_string(eng.error()));
  return std::move(*eng);
}

} // namespace

BOOST_AUTO_TEST_SUITE(entactd_frame_guard)

BOOST_AUTO_TEST_CASE(a_header_over_the_limit_closes_only_that_connection) {
  test::server_process server{{"--max-frame-bytes=65536"}};
  auto port = server.port();
  auto db = connect_or_throw(port);
  BOOST_REQUIRE(db->create("kept", "1"));
  // At the limit: allowed, so it just waits for its payload.
  raw_conn at_limit{port};
  auto door = handshake_read(at_limit);
  BOOST_REQUIRE(door != 0u);
  at_limit.send(waiting_for(65536, door));
  // One over, in one piece, after a handshake and a few heartbeats, and a
  // byte at a time.
  std::vector<std::vector<uint8_t>> overs{
    declaring(65537),
    concat(concat(client_handshake(next_node()),
                  concat(basp_header(basp_heartbeat, 0, 0),
                         basp_header(basp_heartbeat, 0, 0))),
           declaring(65537)),
    declaring(0xffffffffu)};
  for (size_t i = 0; i < overs.size() + 1; ++i) {
    raw_conn over{port};
    BOOST_REQUIRE(handshake_read(over));
    auto start = steady_clock::now();
    if (i < overs.size())
      over.send(overs[i]);
    else
      send_in_pieces(over, declaring(1u << 30), 1);
    BOOST_TEST(over.drain_until_closed(3s), "variant " << i);
    BOOST_TEST(ms_since(start) < 1000, "variant " << i);
  }
  BOOST_TEST(!at_limit.drain_until_closed(300ms));
  // Nobody else noticed.
  BOOST_TEST(db->read("kept")->value == "1");
  BOOST_TEST(code(db->update("kept", 1, "2")) == errc::none);
  auto fresh = connect_or_throw(port);
  BOOST_TEST(fresh->get("kept")->value == "2");
  at_limit.close();
  db.reset();
  fresh.reset();
  BOOST_TEST(server.running());
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_CASE(a_frame_within_the_limit_passes_through_to_basp) {
  test::server_process server{{"--max-frame-bytes=65536"}};
  auto port = server.port();
  auto db = connect_or_throw(port);
  BOOST_REQUIRE(db->create("kept", "1"));
  raw_conn c{port};
  auto door = handshake_read(c);
  BOOST_REQUIRE(door != 0u);
  // After a handshake, a request at the limit to the front door (a get of
  // an id over the id limit), its header in pieces: the guard holds it
  // back until all of it has arrived, then the server answers the sender
  // (with an error).
  constexpr uint64_t request = 1; // a message id: request 1
  auto frame = concat(client_handshake(next_node()),
                      basp_frame(basp_direct_message,
                                 request_payload(65536), request, 5, door));
  send_in_pieces(c, {frame.begin(), frame.begin() + 100}, 3);
  c.send({frame.begin() + 100, frame.end() - 1});
  BOOST_TEST(!await_message_to(c, 5));
  c.send({frame.end() - 1, frame.end()});
  BOOST_TEST(await_message_to(c, 5));
  BOOST_TEST(db->read("kept")->value == "1");
  BOOST_TEST(server.running());
}

BOOST_AUTO_TEST_CASE(the_limit_applies_to_real_requests) {
  test::server_process server{{"--max-frame-bytes=65536",
                               "--max-value-bytes=1000000"}};
  auto db = connect_or_throw(server.port());
  BOOST_TEST(code(db->create("small", std::string(60000, 'a')))
             == errc::none);
  // A frame over the limit cuts its client off (the engine would have
  // accepted the value); the others carry on.
  auto big = connect_or_throw(server.port());
  auto start = steady_clock::now();
  auto cut = big->create("big", std::string(70000, 'b'));
  BOOST_TEST(code(cut) == errc::unreachable);
  BOOST_TEST(ms_since(start) < 5000);
  BOOST_TEST(code(big->read("small")) == errc::unreachable);
  BOOST_TEST(code(db->read("big")) == errc::not_found);
  BOOST_TEST(db->read("small")->value.size() == 60000u);
  BOOST_TEST(server.running());
}

BOOST_AUTO_TEST_CASE(a_client_cut_off_mid_transaction_releases_its_locks) {
  test::server_process server{{"--max-frame-bytes=65536"}};
  auto db = connect_or_throw(server.port(), 30s);
  auto cut = connect_or_throw(server.port(), 30s);
  auto ids = ids_of("acct/", 2);
  // Older than the cut-off client's transaction: it waits, not dies.
  auto older = aged_opts(db->system(),
                         caf::actor_cast<coordinator_api>(db->server()),
                         txn_opts(10s, 20s));
  // Its commit is over the frame limit: the guard disconnects it while
  // it holds both locks for a 60 s lease.
  auto r = cut->transact(
    ids,
    [](transaction& t) -> caf::error {
      if (auto err = t.put("acct/0", "x"))
        return err;
      return t.put("acct/1", std::string(100000, 'y'));
    },
    txn_opts(5s, 60s), no_retry());
  BOOST_TEST(code(r) == errc::unreachable);
  auto start = steady_clock::now();
  auto mine = db->transact(
    ids,
    [&](transaction& t) -> caf::error {
      for (auto& id : ids)
        if (auto err = t.put(id, "mine"))
          return err;
      return {};
    },
    older, no_retry());
  BOOST_TEST(code(mine) == errc::none);
  BOOST_TEST_MESSAGE("locks of the cut-off client taken over after "
                     << ms_since(start) << " ms");
  BOOST_TEST(ms_since(start) < 5000);
  for (auto& id : ids)
    BOOST_TEST(db->read(id)->value == "mine");
}

BOOST_AUTO_TEST_CASE(a_declared_frame_costs_only_the_bytes_that_arrive) {
  test::server_process server; // default limit: 129 MiB
  auto pid = child_named("entactd");
  BOOST_REQUIRE(pid > 0);
  auto db = connect_or_throw(server.port());
  BOOST_REQUIRE(db->create("x", "1"));
  auto base = peak_rss_kib(pid);
  // Eight peers each declare 100 MiB (within the limit) and send 64 KiB:
  // BASP alone would allocate and zero-fill 800 MiB for them.
  std::mt19937 rng{7};
  std::vector<std::unique_ptr<raw_conn>> peers;
  for (int i = 0; i < 8; ++i) {
    peers.push_back(std::make_unique<raw_conn>(server.port()));
    auto door = handshake_read(*peers.back());
    BOOST_REQUIRE(door != 0u);
    peers.back()->send(
      concat(waiting_for(100u << 20, door), random_bytes(rng, 65536)));
  }
  wait_until( // entactd has read all they sent
    [&] {
      for (auto& p : peers)
        if (p->unread_by_server() > 0)
          return false;
      return true;
    },
    10s);
  auto start = steady_clock::now();
  BOOST_TEST(db->read("x")->value == "1");
  auto took = ms_since(start);
  auto peak = peak_rss_kib(pid);
  BOOST_TEST_MESSAGE("8 peers declaring 100 MiB each: entactd's peak RSS "
                     << base / 1024 << " -> " << peak / 1024
                     << " MiB; a read behind them took " << took << " ms");
  BOOST_TEST(peak - base < 64u * 1024,
             "peak RSS grew by " << (peak - base) / 1024 << " MiB");
  // Unguarded, the I/O thread stalled for seconds; a busy machine may take
  // some hundreds of ms for any read.
  BOOST_TEST(took < 1000);
  for (auto& p : peers)
    BOOST_TEST(!p->drain_until_closed(10ms)); // still waiting, harmlessly
  peers.clear();
  BOOST_TEST(code(db->update("x", 1, "2")) == errc::none);
  BOOST_TEST(server.running());
}

BOOST_AUTO_TEST_CASE(the_default_limit_follows_the_engine_limits) {
  constexpr size_t mib = 1024 * 1024;
  engine_options defaults;
  BOOST_TEST(default_max_frame_bytes(defaults)
             == 2 * 64 * (mib + 256) + mib); // 129 MiB and 32 KiB
  engine_options small;
  small.limits.max_value_bytes = 1000;
  BOOST_TEST(default_max_frame_bytes(small) == 16 * mib); // the floor
  engine_options huge;
  huge.limits.max_value_bytes = size_t{1} << 62;
  BOOST_TEST(default_max_frame_bytes(huge) == 0xffffffffu); // BASP's u32
  // A read_many of max_read_ids ids is a legal request too.
  engine_options reads = small;
  reads.limits.max_read_ids = 100000;
  BOOST_TEST(default_max_frame_bytes(reads) == 2 * 100000 * 256 + mib);
  // A server whose largest legal request is above the floor: a batch and a
  // transaction of 64 values of 300 000 bytes pass, a header one byte over
  // the derived limit does not.
  engine_options opts;
  opts.limits.max_value_bytes = 300000;
  auto limit = default_max_frame_bytes(opts);
  BOOST_TEST(limit == 2 * 64 * (300000 + 256) + mib);
  test::server_process server{{"--max-value-bytes=300000", "--no-sync"}};
  auto db = connect_or_throw(server.port(), 30s);
  std::vector<write_op> batch;
  for (auto& id : ids_of("b/", 64))
    batch.push_back(write_op::create(id, std::string(300000, 'b')));
  BOOST_TEST(code(db->apply_batch(batch)) == errc::none);
  auto ids = ids_of("t/", 64);
  auto txn = db->transact(ids, [&](transaction& t) -> caf::error {
    for (auto& id : ids)
      if (auto err = t.put(id, std::string(300000, 't')))
        return err;
    return {};
  });
  BOOST_TEST(code(txn) == errc::none);
  BOOST_TEST(db->read("t/63")->value.size() == 300000u);
  raw_conn at_limit{server.port()};
  auto door = handshake_read(at_limit);
  BOOST_REQUIRE(door != 0u);
  at_limit.send(waiting_for(static_cast<uint32_t>(limit), door));
  raw_conn over{server.port()};
  BOOST_REQUIRE(handshake_read(over));
  over.send(declaring(static_cast<uint32_t>(limit + 1)));
  BOOST_TEST(over.drain_until_closed(3s));
  BOOST_TEST(!at_limit.drain_until_closed(300ms));
  BOOST_TEST(server.running());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(serve_api)

BOOST_AUTO_TEST_CASE(serve_publishes_an_engine_behind_the_guard) {
  temp_dir dir;
  auto eng = open_networked(dir);
  std::mutex mtx;
  std::vector<std::string> lines;
  serve_options so;
  so.max_frame_bytes = 65536;
  so.log = [&](const std::string& line) {
    std::lock_guard<std::mutex> guard{mtx};
    lines.push_back(line);
  };
  auto srv = serve(*eng, so);
  BOOST_REQUIRE(srv);
  auto port = (*srv)->port();
  BOOST_TEST(port != 0);
  BOOST_TEST((*srv)->max_frame_bytes() == 65536u);
  auto db = connect_or_throw(port);
  BOOST_TEST(code(db->create("a", "1")) == errc::none);
  BOOST_TEST(eng->read("a")->value == "1");
  {
    raw_conn over{port};
    BOOST_REQUIRE(handshake_read(over));
    over.send(declaring(65537));
    BOOST_TEST(over.drain_until_closed(3s));
  }
  wait_until(
    [&] {
      std::lock_guard<std::mutex> guard{mtx};
      return !lines.empty();
    },
    3s);
  {
    std::lock_guard<std::mutex> guard{mtx};
    BOOST_REQUIRE_EQUAL(lines.size(), 1u);
    BOOST_TEST_MESSAGE("logged: " << lines[0]);
    BOOST_TEST(lines[0].find("127.0.0.1:") != std::string::npos);
    BOOST_TEST(lines[0].find("65537") != std::string::npos);
    BOOST_TEST(lines[0].find("65536") != std::string::npos);
  }
  // Stopped: no new connections, but the open one is still served.
  (*srv)->stop();
  raw_conn late{port};
  BOOST_TEST(!late.connected());
  BOOST_TEST(code(db->update("a", 1, "2")) == errc::none);
  (*srv)->stop(); // idempotent
  // Closing the engine ends the connections that are left.
  eng->close();
  BOOST_TEST(code(db->read("a")) == errc::unreachable);
}

BOOST_AUTO_TEST_CASE(closing_the_engine_first_stops_the_guard_too) {
  temp_dir dir;
  auto eng = open_networked(dir);
  auto srv = serve(*eng);
  BOOST_REQUIRE(srv);
  BOOST_TEST((*srv)->max_frame_bytes()
             == default_max_frame_bytes(eng->options()));
  auto db = connect_or_throw((*srv)->port());
  BOOST_TEST(code(db->create("a", "1")) == errc::none);
  auto start = steady_clock::now();
  eng->close(); // the listener is still up: it must not hang
  BOOST_TEST(ms_since(start) < 10000);
  BOOST_TEST(code(db->read("a")) == errc::unreachable);
  (*srv)->stop(); // a no-op now
  srv->reset();
  eng.reset();
}

BOOST_AUTO_TEST_CASE(serve_refuses_what_it_cannot_serve) {
  temp_dir dir;
  {
    engine_options opts; // no middleman in its actor system
    opts.path = dir.sub("plain");
    auto eng = engine::open(opts);
    BOOST_REQUIRE(eng);
    BOOST_TEST(code(serve(**eng)) == errc::invalid_argument);
  }
  auto eng = open_networked(dir);
  auto first = serve(*eng);
  BOOST_REQUIRE(first);
  serve_options taken;
  taken.port = (*first)->port();
  taken.reuse_address = false;
  auto second = serve(*eng, taken);
  BOOST_REQUIRE(!second);
  BOOST_TEST_MESSAGE("a port in use: " << to_string(second.error()));
  (*first)->stop();
  eng->close();
  BOOST_TEST(code(serve(*eng)) == errc::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
