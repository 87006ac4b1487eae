#include <boost/test/unit_test.hpp>

#include <atomic>
#include <future>
#include <vector>
#include <thread>

#include "support/engine_fixture.hpp"

using namespace entact;
using entact::test::code;

namespace {

struct tiny_queue_fixture : entact::test::engine_fixture {
  tiny_queue_fixture() {
    opts.max_queue_per_entity = 4;
    opts.sync = true; // slow commits, so the queue fills
    reopen();
  }
};

/// How many of `futures` committed and how many were refused `overloaded`.
struct outcomes {
  int committed = 0;
  int overloaded = 0;
};

outcomes count(std::vector<std::future<caf::expected<record>>>& futures) {
  outcomes n;
  for (auto& f : futures) {
    auto r = f.get();
    if (r)
      ++n.committed;
    else if (code(r) == errc::overloaded)
      ++n.overloaded;
  }
  return n;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(engine_overload, tiny_queue_fixture)

BOOST_AUTO_TEST_CASE(a_full_entity_queue_refuses_with_overloaded) {
  constexpr int n = 400;
  std::vector<std::future<caf::expected<record>>> futures;
  for (int i = 0; i < n; ++i)
    futures.push_back(db().apply_future(
      write_op::unconditional("hot", std::to_string(i))));
  auto [committed, overloaded] = count(futures);
  BOOST_TEST(committed + overloaded == n);
  BOOST_TEST(overloaded > 0);
  BOOST_TEST(committed >= 4);
  // The engine's counters say the same (GET /metrics reports them).
  auto st = db().stats();
  BOOST_REQUIRE(st);
  BOOST_TEST(st->overloaded == static_cast<uint64_t>(overloaded));
  BOOST_TEST(st->writes_committed == static_cast<uint64_t>(committed));
  BOOST_TEST(st->batches_committed == static_cast<uint64_t>(committed));
  // Refused requests changed nothing: one version per committed write.
  auto r = db().read("hot");
  BOOST_REQUIRE(r);
  BOOST_TEST(r->version == static_cast<version_t>(committed));
  // Other entities are not affected, and the hot one recovers.
  BOOST_CHECK(db().create("cold", "x"));
  BOOST_CHECK(db().write_unconditionally("hot", "calm"));
}

BOOST_AUTO_TEST_CASE(calls_past_the_in_flight_bound_are_refused_at_once) {
  opts.max_calls_in_flight = 8;
  opts.max_queue_per_entity = 4096;
  reopen();
  constexpr int n = 400;
  std::vector<std::future<caf::expected<record>>> futures;
  for (int i = 0; i < n; ++i)
    futures.push_back(db().apply_future(
      write_op::unconditional("k/" + std::to_string(i % 16), "x")));
  auto [committed, overloaded] = count(futures);
  BOOST_TEST(committed + overloaded == n);
  BOOST_TEST(overloaded > 0);
  BOOST_TEST(committed >= 8);
  auto st = db().stats();
  BOOST_REQUIRE(st);
  BOOST_TEST(st->overloaded == static_cast<uint64_t>(overloaded));
  BOOST_TEST(st->batches_committed == static_cast<uint64_t>(committed));
  // Refused calls changed nothing: the versions add up to the committed.
  std::vector<entity_id> ids;
  for (int i = 0; i < 16; ++i)
    ids.push_back("k/" + std::to_string(i));
  auto recs = db().read_many(ids);
  BOOST_REQUIRE(recs);
  uint64_t versions = 0;
  for (auto& r : *recs)
    versions += r.version;
  BOOST_TEST(versions == static_cast<uint64_t>(committed));
}

BOOST_AUTO_TEST_CASE(blocking_calls_wait_for_a_free_slot) {
  opts.max_calls_in_flight = 2;
  reopen();
  constexpr int threads = 8;
  constexpr int each = 10;
  std::atomic<int> failed{0};
  std::vector<std::thread> users;
  for (int t = 0; t < threads; ++t)
    users.emplace_back([&, t] {
      for (int i = 0; i < each; ++i)
        if (!db().write_unconditionally("b/" + std::to_string(t), "x"))
          ++failed;
    });
  for (auto& u : users)
    u.join();
  BOOST_TEST(failed.load() == 0);
  for (int t = 0; t < threads; ++t)
    BOOST_TEST(db().read("b/" + std::to_string(t))->version
               == static_cast<version_t>(each));
}

BOOST_AUTO_TEST_SUITE_END()
