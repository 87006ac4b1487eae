// `modify` through a real entactd on 127.0.0.1: the same operations, the
// same errors, and modifications acknowledged before a SIGKILL survive it.

#include <boost/test/unit_test.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "entact/client.hpp"
#include "support/print.hpp"
#include "support/remote_client.hpp"
#include "support/server_process.hpp"
#include "support/wait_until.hpp"

using namespace entact;
using namespace entact::test;
using namespace std::chrono_literals;

namespace {

errc code(const caf::expected<record>& r) {
  return r ? errc::none : code_of(r.error());
}

} // namespace

BOOST_AUTO_TEST_SUITE(remote_modify)

BOOST_AUTO_TEST_CASE(operations_and_their_errors_cross_the_wire) {
  server_process server;
  auto db = connect_or_throw(server.port(), 10s);
  auto added = db->modify("ctr", "add", "5");
  BOOST_REQUIRE(added);
  BOOST_TEST(added->value == "5");
  BOOST_TEST(added->version == 1u);
  BOOST_TEST(db->modify("log", "append", "ab")->value == "ab");
  auto unknown = db->modify("ctr", "multiply", "2");
  BOOST_TEST(code(unknown) == errc::invalid_argument);
  BOOST_TEST(to_string(unknown.error()).find("unknown operation")
               != std::string::npos,
             to_string(unknown.error()));
  BOOST_TEST(code(db->modify("ctr", "Bad Name", "")) == errc::invalid_argument);
  BOOST_TEST(code(db->modify("log", "add", "1")) == errc::invalid_argument);
  auto stale = db->modify("ctr", "set_if_version", "7:x");
  BOOST_REQUIRE(code(stale) == errc::conflict);
  auto c = conflict_of(stale.error());
  BOOST_REQUIRE(c);
  BOOST_TEST(c->stored.value == "5");
  BOOST_TEST(db->get("ctr")->version == 1u);
  BOOST_TEST(db->get("log")->version == 1u);
}

BOOST_AUTO_TEST_CASE(concurrent_remote_adds_are_exact) {
  server_process server;
  auto db = connect_or_throw(server.port(), 30s);
  constexpr int threads = 4;
  constexpr int adds = 100;
  std::mutex mtx;
  std::set<version_t> versions;
  std::atomic<int> failures{0};
  std::vector<std::thread> users;
  for (int t = 0; t < threads; ++t)
    users.emplace_back([&] {
      for (int i = 0; i < adds; ++i) {
        auto r = db->modify("hot", "add", "1");
        if (!r) {
          ++failures;
          continue;
        }
        std::lock_guard<std::mutex> guard{mtx};
        versions.insert(r->version);
      }
    });
  std::atomic<int> async_done{0};
  std::atomic<int> async_failed{0};
  for (int i = 0; i < 500; ++i)
    db->modify_async({"hot", "add", "1"}, [&](caf::expected<record> r) {
      if (r) {
        std::lock_guard<std::mutex> guard{mtx};
        versions.insert(r->version);
      } else {
        ++async_failed;
      }
      ++async_done;
    });
  for (auto& u : users)
    u.join();
  BOOST_REQUIRE(wait_until([&] { return async_done == 500; }, 60s));
  BOOST_TEST(failures == 0);
  BOOST_TEST(async_failed == 0);
  constexpr uint64_t total = threads * adds + 500;
  BOOST_TEST(versions.size() == total);
  auto stored = db->get("hot");
  BOOST_REQUIRE(stored);
  BOOST_TEST(stored->value == std::to_string(total));
  auto st = db->stats();
  BOOST_REQUIRE(st);
  BOOST_TEST(st->modifications == total);
  BOOST_TEST(st->modify_writes < st->modifications);
}

// Writers modify their own counters until entactd is killed: every
// acknowledged modification is there after the restart, nothing beyond
// the one in flight.
BOOST_AUTO_TEST_CASE(acknowledged_modifications_survive_a_kill) {
  server_process server;
  auto db = connect_or_throw(server.port(), 10s);
  constexpr int writers = 4;
  std::mutex mtx;
  std::array<uint64_t, writers> acked{};
  std::array<uint64_t, writers> tried{};
  std::atomic<bool> stop{false};
  std::atomic<int> unexpected{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w)
    threads.emplace_back([&, w] {
      auto id = "ctr/" + std::to_string(w);
      for (uint64_t n = 1; !stop; ++n) {
        {
          std::lock_guard<std::mutex> guard{mtx};
          tried[w] = n;
        }
        auto r = db->modify(id, "add", "1");
        if (!r) {
          auto c = code_of(r.error());
          if (c != errc::unreachable && c != errc::timeout)
            ++unexpected;
          return;
        }
        if (r->value != std::to_string(n))
          ++unexpected;
        std::lock_guard<std::mutex> guard{mtx};
        acked[w] = n;
      }
    });
  // A hot counter with many modifications in flight at the kill, too.
  std::atomic<uint64_t> hot_acked{0};
  std::atomic<int> hot_pending{0};
  std::thread hot{[&] {
    while (!stop) {
      ++hot_pending;
      db->modify_async({"hot", "add", "1"}, [&](caf::expected<record> r) {
        if (r)
          ++hot_acked;
        --hot_pending;
      });
      wait_until([&] { return hot_pending < 200 || stop; }, 20s, 1ms);
    }
  }};
  bool enough = wait_until(
    [&] {
      std::lock_guard<std::mutex> guard{mtx};
      return hot_acked >= 500
             && *std::min_element(acked.begin(), acked.end()) >= 20;
    },
    30s);
  BOOST_TEST(enough);
  server.crash();
  stop = true;
  for (auto& th : threads)
    th.join();
  hot.join();
  BOOST_REQUIRE(wait_until([&] { return hot_pending == 0; }, 20s));
  BOOST_TEST(unexpected == 0);
  db.reset();
  server.restart();
  auto fresh = connect_or_throw(server.port(), 10s);
  for (int w = 0; w < writers; ++w) {
    auto rec = fresh->read("ctr/" + std::to_string(w));
    BOOST_REQUIRE(rec);
    auto stored = std::stoull(rec->value);
    BOOST_TEST(stored >= acked[w], "writer " << w);
    BOOST_TEST(stored <= tried[w], "writer " << w);
    BOOST_TEST(rec->version == stored);
  }
  auto h = fresh->read("hot");
  BOOST_REQUIRE(h);
  BOOST_TEST(std::stoull(h->value) >= hot_acked.load());
  BOOST_TEST(h->version == std::stoull(h->value));
  BOOST_TEST_MESSAGE(hot_acked << " hot modifications acknowledged before "
                                  "the kill; "
                               << h->value << " stored");
}

BOOST_AUTO_TEST_SUITE_END()
