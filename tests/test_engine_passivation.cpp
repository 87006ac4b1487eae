#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>

#include "support/engine_fixture.hpp"
#include "support/wait_until.hpp"

using namespace entact;
using namespace std::chrono_literals;
using entact::test::code;

namespace {

struct small_cap_fixture : entact::test::engine_fixture {
  small_cap_fixture() {
    opts.resident_cap = 4;
    opts.idle_timeout = 50ms;
    reopen();
  }

  engine_stats stats() {
    auto s = db().stats();
    if (!s)
      throw std::runtime_error("stats failed");
    return *s;
  }
};

std::string key(int i) {
  return "k/" + std::to_string(i);
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(engine_passivation, small_cap_fixture)

BOOST_AUTO_TEST_CASE(resident_cap_holds_and_reactivation_keeps_data) {
  for (int i = 0; i < 40; ++i)
    BOOST_REQUIRE(db().create(key(i), std::to_string(i)));
  BOOST_TEST(stats().resident <= 5u);
  BOOST_TEST(stats().passivations >= 35u);
  for (int i = 0; i < 40; ++i) {
    auto r = db().get(key(i));
    BOOST_REQUIRE(r);
    BOOST_TEST(r->value == std::to_string(i));
    BOOST_REQUIRE(db().update(key(i), 1, "second"));
  }
  for (int i = 0; i < 40; ++i)
    BOOST_TEST(db().get(key(i))->version == 2u);
}

BOOST_AUTO_TEST_CASE(idle_entities_are_passivated) {
  opts.resident_cap = 1000;
  // Long enough that none goes idle while ten synced creates run on a busy
  // machine (50 ms was not).
  opts.idle_timeout = 1s;
  reopen();
  for (int i = 0; i < 10; ++i)
    BOOST_REQUIRE(db().create(key(i), "x"));
  BOOST_TEST(stats().resident == 10u);
  test::wait_until([&] { return stats().resident == 0; }, 10s, 10ms);
  BOOST_TEST(stats().resident == 0u);
  BOOST_TEST(stats().passivations >= 10u);
  BOOST_TEST(db().get(key(3))->value == "x");
}

// Pipelined writes whose versions only line up if every message reaches
// storage exactly once and in order, while a cap of 1 makes passivation
// race with them constantly.
BOOST_AUTO_TEST_CASE(passivation_neither_loses_nor_reorders_messages) {
  opts.resident_cap = 1;
  reopen();
  constexpr int entities = 3;
  constexpr int writes = 300;
  for (int e = 0; e < entities; ++e)
    BOOST_REQUIRE(db().create(key(e), "0"));
  std::vector<std::future<caf::expected<record>>> futures;
  for (int v = 1; v <= writes; ++v)
    for (int e = 0; e < entities; ++e) {
      futures.push_back(
        db().apply_future(write_op::update(key(e), v, std::to_string(v))));
      futures.push_back(db().apply_future(write_op::create(key(e), "")));
    }
  int ok = 0;
  int conflicts = 0;
  int other = 0;
  for (size_t i = 0; i < futures.size(); ++i) {
    auto r = futures[i].get();
    if (i % 2 == 0 && r)
      ++ok;
    else if (i % 2 == 1 && code(r) == errc::conflict)
      ++conflicts;
    else
      ++other;
  }
  BOOST_TEST(ok == entities * writes);
  BOOST_TEST(conflicts == entities * writes);
  BOOST_TEST(other == 0);
  for (int e = 0; e < entities; ++e) {
    auto r = db().get(key(e));
    BOOST_REQUIRE(r);
    BOOST_TEST(r->version == static_cast<version_t>(writes + 1));
    BOOST_TEST(r->value == std::to_string(writes));
  }
  BOOST_TEST(stats().passivations > 0u);
}

BOOST_AUTO_TEST_SUITE_END()
