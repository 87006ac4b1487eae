// Watches through the client against a real entactd on 127.0.0.1: every
// write path reaches a remote watcher in order, cancel stops it, a slow
// watcher lags, a connection's watches are bounded, and a dropped
// connection ends them.

#include <boost/test/unit_test.hpp>

#include <condition_variable>
#include <future>
#include <mutex>
#include <vector>

#include "entact/client.hpp"
#include "support/print.hpp"
#include "support/remote_client.hpp"
#include "support/server_process.hpp"
#include "support/wait_until.hpp"
#include "support/watch_collector.hpp"

using namespace entact;
using namespace entact::test;
using namespace std::chrono_literals;

namespace {

bool reaches(const watch_collector& c, version_t v) {
  return wait_until([&] { return c.last_version() >= v; }, 30s);
}

} // namespace

BOOST_AUTO_TEST_SUITE(remote_watch)

BOOST_AUTO_TEST_CASE(every_write_path_reaches_a_remote_watcher_in_order) {
  server_process server;
  auto watcher = connect_or_throw(server.port(), 10s);
  auto writer = connect_or_throw(server.port(), 10s);
  watch_collector seen;
  auto w = watcher->watch("r/1", 0, seen.callback());
  BOOST_REQUIRE(w);
  BOOST_REQUIRE(writer->create("r/1", "a"));                              // 1
  BOOST_REQUIRE(writer->update("r/1", 1, "5"));                           // 2
  BOOST_REQUIRE(writer->modify("r/1", "add", "2"));                       // 3
  BOOST_REQUIRE(writer->apply_batch({write_op::update("r/1", 3, "b")}));  // 4
  BOOST_REQUIRE(writer->transact({"r/1"}, [](transaction& t) {
    return t.put("r/1", "t");                                           // 5
  }));
  BOOST_REQUIRE(writer->erase("r/1", 5));                                 // 6
  BOOST_REQUIRE(reaches(seen, 6));
  auto evs = seen.events();
  BOOST_REQUIRE_EQUAL(evs.size(), 6u);
  std::vector<std::string> values{"a", "5", "7", "b", "t", ""};
  for (size_t i = 0; i < evs.size(); ++i) {
    BOOST_TEST(evs[i].rec.version == i + 1);
    BOOST_TEST(evs[i].rec.value == values[i]);
    BOOST_TEST(!evs[i].lagged);
  }
  BOOST_TEST(evs.back().rec.deleted);
  // A late watcher starts from the current record.
  watch_collector late;
  auto w2 = writer->watch("r/1", 2, late.callback());
  BOOST_REQUIRE(w2);
  BOOST_REQUIRE(reaches(late, 6));
  BOOST_REQUIRE_EQUAL(late.count(), 1u);
  BOOST_TEST(late.events()[0].lagged);
}

BOOST_AUTO_TEST_CASE(cancel_stops_a_remote_watch) {
  server_process server;
  auto db = connect_or_throw(server.port(), 10s);
  watch_collector cancelled, control;
  auto w1 = db->watch("r/2", 0, cancelled.callback());
  auto w2 = db->watch("r/2", 0, control.callback());
  BOOST_REQUIRE(w1);
  BOOST_REQUIRE(w2);
  BOOST_REQUIRE(db->create("r/2", "a"));
  BOOST_REQUIRE(reaches(cancelled, 1));
  w1->cancel();
  for (version_t v = 1; v <= 3; ++v)
    BOOST_REQUIRE(db->update("r/2", v, "b"));
  // Both watches' events come through one actor in order: once the live
  // one has the last write, the cancelled one would have had it too.
  BOOST_REQUIRE(reaches(control, 4));
  BOOST_TEST(cancelled.count() == 1u);
}

BOOST_AUTO_TEST_CASE(a_slow_remote_watcher_lags_at_the_server) {
  server_process server;
  auto db = connect_or_throw(server.port(), 10s);
  std::mutex mtx;
  std::condition_variable cv;
  bool release = false;
  watch_collector seen;
  auto inner = seen.callback();
  auto w = db->watch("r/slow", 0, [&](caf::expected<watch_event> x) {
    inner(x);
    std::unique_lock<std::mutex> lock{mtx};
    cv.wait(lock, [&] { return release; });
  });
  BOOST_REQUIRE(w);
  BOOST_REQUIRE(db->modify("r/slow", "add", "1"));
  BOOST_REQUIRE(wait_until([&] { return seen.count() == 1; }, 30s));
  // More than the server's queue (1024) while the watcher is stuck.
  constexpr int more = 1500;
  std::vector<std::future<caf::expected<record>>> pending;
  for (int i = 0; i < more; ++i)
    pending.push_back(db->modify_future(modify_op{"r/slow", "add", "1"}));
  for (auto& f : pending)
    BOOST_REQUIRE(f.get());
  {
    std::lock_guard<std::mutex> guard{mtx};
    release = true;
  }
  cv.notify_all();
  BOOST_REQUIRE(reaches(seen, more + 1));
  auto evs = seen.events();
  BOOST_TEST(seen.in_order());
  BOOST_TEST(evs.back().rec.value == std::to_string(more + 1));
  bool lagged = false;
  for (auto& ev : evs)
    lagged = lagged || ev.lagged;
  BOOST_TEST(lagged);
  BOOST_TEST(evs.size() < size_t{more});
}

BOOST_AUTO_TEST_CASE(a_connection_holds_at_most_1024_watches) {
  server_process server;
  auto db = connect_or_throw(server.port(), 10s);
  watch_collector seen;
  std::vector<watch_handle> handles;
  for (int i = 0; i < 1024; ++i) {
    auto w = db->watch("r/n" + std::to_string(i), 0, seen.callback());
    BOOST_REQUIRE(w);
    handles.push_back(std::move(*w));
  }
  auto over = db->watch("r/over", 0, seen.callback());
  BOOST_REQUIRE(!over);
  BOOST_TEST(code_of(over.error()) == errc::too_large);
  // Another connection has a bound of its own.
  auto other = connect_or_throw(server.port(), 10s);
  BOOST_TEST(static_cast<bool>(other->watch("r/over", 0, seen.callback())));
  // A cancelled watch frees its place (the cancel reaches the server
  // before the next request from the same client).
  handles.back().cancel();
  bool freed = wait_until(
    [&] {
      auto w = db->watch("r/over", 0, seen.callback());
      return static_cast<bool>(w);
    },
    30s, 10ms);
  BOOST_TEST(freed);
}

BOOST_AUTO_TEST_CASE(a_dropped_connection_ends_the_watch_with_unreachable) {
  server_process server;
  auto db = connect_or_throw(server.port(), 10s);
  watch_collector seen;
  auto w = db->watch("r/3", 0, seen.callback());
  BOOST_REQUIRE(w);
  BOOST_REQUIRE(db->create("r/3", "a"));
  BOOST_REQUIRE(reaches(seen, 1));
  server.crash();
  BOOST_REQUIRE(wait_until([&] { return !seen.errors().empty(); }, 30s));
  BOOST_TEST(code_of(seen.errors()[0]) == errc::unreachable);
}

BOOST_AUTO_TEST_CASE(bad_remote_watches_are_refused) {
  server_process server;
  auto db = connect_or_throw(server.port(), 10s);
  watch_collector seen;
  auto bad = db->watch("", 0, seen.callback());
  BOOST_REQUIRE(!bad);
  BOOST_TEST(code_of(bad.error()) == errc::invalid_argument);
  auto none = db->watch("r/4", 0, nullptr);
  BOOST_REQUIRE(!none);
  BOOST_TEST(code_of(none.error()) == errc::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
