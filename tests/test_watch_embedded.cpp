#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "support/engine_fixture.hpp"
#include "support/wait_until.hpp"
#include "support/watch_collector.hpp"

using namespace entact;
using namespace std::chrono_literals;
using entact::test::code;
using entact::test::wait_until;
using entact::test::watch_collector;

namespace {

struct fixture : entact::test::engine_fixture {
  watch_handle watch(const entity_id& id, version_t after,
                     watch_collector& into) {
    auto w = db().watch(id, after, into.callback());
    if (!w)
      throw std::runtime_error("watch failed: " + to_string(w.error()));
    return std::move(*w);
  }
};

bool reaches(const watch_collector& c, version_t v) {
  return wait_until([&] { return c.last_version() >= v; }, 20s);
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(watch_embedded, fixture)

BOOST_AUTO_TEST_CASE(every_kind_of_write_is_seen_once_in_order) {
  watch_collector seen;
  auto w = watch("w/1", 0, seen);
  BOOST_REQUIRE(db().create("w/1", "a"));                            // v1
  BOOST_REQUIRE(db().update("w/1", 1, "b"));                         // v2
  BOOST_REQUIRE(db().write_unconditionally("w/1", "7"));             // v3
  BOOST_REQUIRE(db().modify("w/1", "add", "5"));                     // v4
  BOOST_REQUIRE(db().apply_batch({write_op::update("w/1", 4, "c"),
                                  write_op::create("w/other", "x")})); // v5
  BOOST_REQUIRE(db().transact({"w/1"}, [](transaction& t) {
    return t.put("w/1", "d");                                        // v6
  }));
  BOOST_REQUIRE(db().erase("w/1", 6));                               // v7
  BOOST_REQUIRE(db().create("w/1", "again"));                        // v8
  BOOST_REQUIRE(reaches(seen, 8));
  auto evs = seen.events();
  BOOST_REQUIRE_EQUAL(evs.size(), 8u);
  std::vector<std::string> values{"a", "b", "7", "12", "c", "d", "", "again"};
  for (size_t i = 0; i < evs.size(); ++i) {
    BOOST_TEST(evs[i].rec.id == "w/1");
    BOOST_TEST(evs[i].rec.version == i + 1);
    BOOST_TEST(evs[i].rec.value == values[i]);
    BOOST_TEST(!evs[i].lagged);
    BOOST_TEST(evs[i].rec.deleted == (i == 6));
  }
  BOOST_TEST(seen.errors().empty());
}

BOOST_AUTO_TEST_CASE(concurrent_writers_are_seen_exactly_once_in_order) {
  watch_collector seen;
  auto w = watch("w/counter", 0, seen);
  constexpr int threads = 4;
  constexpr int each = 100;
  std::vector<std::thread> writers;
  for (int t = 0; t < threads; ++t)
    writers.emplace_back([&] {
      for (int i = 0; i < each; ++i)
        if (!db().modify("w/counter", "add", "1"))
          throw std::runtime_error("modify failed");
    });
  for (auto& t : writers)
    t.join();
  BOOST_REQUIRE(reaches(seen, threads * each));
  auto evs = seen.events();
  BOOST_REQUIRE_EQUAL(evs.size(), size_t{threads * each});
  for (size_t i = 0; i < evs.size(); ++i) {
    BOOST_TEST(evs[i].rec.version == i + 1);
    BOOST_TEST(evs[i].rec.value == std::to_string(i + 1));
    BOOST_TEST(!evs[i].lagged);
  }
}

BOOST_AUTO_TEST_CASE(a_watch_behind_the_entity_starts_with_its_current_record) {
  BOOST_REQUIRE(db().create("w/2", "v1"));
  BOOST_REQUIRE(db().update("w/2", 1, "v2"));
  BOOST_REQUIRE(db().update("w/2", 2, "v3"));
  watch_collector far, near, ahead;
  auto w1 = watch("w/2", 1, far);   // skipped v2
  auto w2 = watch("w/2", 2, near);  // v3 is the next one
  auto w3 = watch("w/2", 3, ahead); // up to date
  BOOST_REQUIRE(reaches(far, 3));
  BOOST_REQUIRE(reaches(near, 3));
  BOOST_REQUIRE(db().update("w/2", 3, "v4"));
  BOOST_REQUIRE(reaches(far, 4));
  BOOST_REQUIRE(reaches(near, 4));
  BOOST_REQUIRE(reaches(ahead, 4));
  auto f = far.events();
  BOOST_REQUIRE_EQUAL(f.size(), 2u);
  BOOST_TEST(f[0].rec.value == "v3");
  BOOST_TEST(f[0].lagged);
  BOOST_TEST(!f[1].lagged);
  auto n = near.events();
  BOOST_REQUIRE_EQUAL(n.size(), 2u);
  BOOST_TEST(!n[0].lagged);
  auto a = ahead.events();
  BOOST_REQUIRE_EQUAL(a.size(), 1u);
  BOOST_TEST(a[0].rec.value == "v4");
}

BOOST_AUTO_TEST_CASE(a_passivated_entity_still_notifies) {
  opts.resident_cap = 1;
  reopen();
  BOOST_REQUIRE(db().create("w/p", "0"));
  watch_collector seen;
  auto w = watch("w/p", 1, seen);
  version_t expect = 1;
  for (int round = 0; round < 3; ++round) {
    // Writing others passivates w/p (cap 1) ...
    auto before = db().stats()->passivations;
    for (int i = 0; i < 3; ++i)
      BOOST_REQUIRE(db().write_unconditionally("w/o" + std::to_string(i), "x"));
    BOOST_REQUIRE(wait_until(
      [&] { return db().stats()->passivations >= before + 2; }, 20s));
    // ... and each path still reaches the watch.
    if (round == 0)
      BOOST_REQUIRE(db().apply_batch({write_op::update("w/p", expect, "b")}));
    else if (round == 1)
      BOOST_REQUIRE(db().transact({"w/p"}, [](transaction& t) {
        return t.put("w/p", "t");
      }));
    else
      BOOST_REQUIRE(db().modify("w/p", "append", "m"));
    ++expect;
    BOOST_REQUIRE(reaches(seen, expect));
  }
  auto evs = seen.events();
  BOOST_REQUIRE_EQUAL(evs.size(), 3u);
  BOOST_TEST(evs[2].rec.value == "tm");
  BOOST_TEST(seen.in_order());
}

BOOST_AUTO_TEST_CASE(cancel_stops_delivery) {
  watch_collector cancelled, destroyed, control;
  auto w1 = watch("w/3", 0, cancelled);
  auto w3 = watch("w/3", 0, control);
  {
    auto w2 = watch("w/3", 0, destroyed);
    BOOST_REQUIRE(db().create("w/3", "a"));
    BOOST_REQUIRE(reaches(cancelled, 1));
    BOOST_REQUIRE(reaches(destroyed, 1));
    w1.cancel();
    BOOST_TEST(!w1.active());
  } // w2 destroyed
  for (version_t v = 1; v <= 5; ++v)
    BOOST_REQUIRE(db().update("w/3", v, "b"));
  // Once a live watch has seen the last write, a cancelled one that would
  // have got it has had the same chance.
  BOOST_REQUIRE(reaches(control, 6));
  BOOST_TEST(cancelled.count() == 1u);
  BOOST_TEST(destroyed.count() == 1u);
  BOOST_TEST(cancelled.errors().empty());
  w1.cancel(); // idempotent
}

BOOST_AUTO_TEST_CASE(a_callback_may_cancel_its_own_watch) {
  watch_handle self_cancelling;
  std::atomic<int> calls{0};
  watch_collector control;
  auto w = db().watch("w/4", 0, [&](caf::expected<watch_event>) {
    ++calls;
    self_cancelling.cancel();
  });
  BOOST_REQUIRE(w);
  self_cancelling = std::move(*w);
  auto c = watch("w/4", 0, control);
  BOOST_REQUIRE(db().create("w/4", "a"));
  BOOST_REQUIRE(db().update("w/4", 1, "b"));
  BOOST_REQUIRE(reaches(control, 2));
  BOOST_TEST(calls.load() == 1);
}

BOOST_AUTO_TEST_CASE(a_slow_watcher_lags_instead_of_buffering) {
  opts.watch_queue = 8;
  reopen();
  std::mutex mtx;
  std::condition_variable cv;
  bool release = false;
  watch_collector seen;
  auto inner = seen.callback();
  auto w = db().watch("w/slow", 0, [&](caf::expected<watch_event> x) {
    inner(x);
    std::unique_lock<std::mutex> lock{mtx};
    cv.wait(lock, [&] { return release; });
  });
  BOOST_REQUIRE(w);
  BOOST_REQUIRE(db().create("w/slow", "0"));
  BOOST_REQUIRE(wait_until([&] { return seen.count() == 1; }, 20s));
  // The watcher is stuck in its first callback; writers are not.
  constexpr version_t last = 201;
  for (version_t v = 1; v < last; ++v)
    BOOST_REQUIRE(db().update("w/slow", v, std::to_string(v + 1)));
  {
    std::lock_guard<std::mutex> guard{mtx};
    release = true;
  }
  cv.notify_all();
  BOOST_REQUIRE(reaches(seen, last));
  auto evs = seen.events();
  BOOST_TEST(seen.in_order());
  // At most the queue's worth after the first: the rest became one lag.
  BOOST_TEST(evs.size() <= 1u + 8u);
  BOOST_REQUIRE(evs.size() >= 2u);
  BOOST_TEST(evs[1].lagged);
  BOOST_TEST(evs.back().rec.value == std::to_string(last));
}

BOOST_AUTO_TEST_CASE(closing_the_engine_ends_watches_with_closed) {
  watch_collector seen;
  auto w = watch("w/5", 0, seen);
  BOOST_REQUIRE(db().create("w/5", "a"));
  BOOST_REQUIRE(reaches(seen, 1));
  db().close();
  // `close` returns once every watch's last call was made.
  BOOST_TEST(seen.last_version() == 1u);
  auto errs = seen.errors();
  BOOST_REQUIRE_EQUAL(errs.size(), 1u);
  BOOST_TEST(code_of(errs[0]) == errc::closed);
  BOOST_TEST(code(db().watch("w/5", 0, seen.callback())) == errc::closed);
  eng.reset(); // the handle outlives the engine
  w.cancel();
}

BOOST_AUTO_TEST_CASE(bad_watches_are_refused) {
  watch_collector seen;
  BOOST_TEST(code(db().watch("", 0, seen.callback())) == errc::invalid_argument);
  BOOST_TEST(code(db().watch("w/6", 0, nullptr)) == errc::invalid_argument);
  opts.max_watches = 2;
  reopen();
  auto a = db().watch("w/6", 0, seen.callback());
  auto b = db().watch("w/7", 0, seen.callback());
  BOOST_REQUIRE(a);
  BOOST_REQUIRE(b);
  BOOST_TEST(code(db().watch("w/8", 0, seen.callback())) == errc::too_large);
  a->cancel();
  BOOST_TEST(static_cast<bool>(db().watch("w/8", 0, seen.callback())));
}

BOOST_AUTO_TEST_CASE(a_reopened_engine_watches_from_storage) {
  BOOST_REQUIRE(db().create("w/9", "a"));
  reopen();
  watch_collector seen;
  auto w = watch("w/9", 1, seen);
  BOOST_REQUIRE(db().update("w/9", 1, "b"));
  BOOST_REQUIRE(reaches(seen, 2));
  BOOST_TEST(seen.count() == 1u);
}

BOOST_AUTO_TEST_CASE(a_watch_started_on_a_thread_that_lives_on_lets_close_return) {
  // CAF 0.17's spawn pins the logger to the calling thread, and
  // ~actor_system waits for it: the HTTP gateway's workers outlive calls.
  watch_collector seen;
  std::mutex mtx;
  std::condition_variable cv;
  bool started = false;
  bool leave = false;
  std::optional<caf::expected<watch_handle>> handle;
  std::thread caller{[&] {
    auto w = db().watch("w/10", 0, seen.callback());
    std::unique_lock<std::mutex> lock{mtx};
    handle.emplace(std::move(w));
    started = true;
    cv.notify_all();
    cv.wait(lock, [&] { return leave; }); // the thread lives on
  }};
  {
    std::unique_lock<std::mutex> lock{mtx};
    cv.wait(lock, [&] { return started; });
  }
  BOOST_REQUIRE(*handle);
  // A hung close is released by letting the caller's thread end, so the
  // test ends either way.
  std::atomic<bool> closed{false};
  std::atomic<bool> released{false};
  std::thread watchdog{[&] {
    if (!wait_until([&] { return closed.load(); }, 30s))
      released = true;
    std::lock_guard<std::mutex> guard{mtx};
    leave = true;
    cv.notify_all();
  }};
  eng->close(); // on the thread that opened the engine, as usual
  closed = true;
  watchdog.join();
  caller.join();
  BOOST_TEST(!released);
  BOOST_TEST(seen.errors().size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
