#include <boost/test/unit_test.hpp>

#include "support/engine_fixture.hpp"

using namespace entact;
using entact::test::code;

namespace {

struct durable_fixture : entact::test::engine_fixture {
  durable_fixture() {
    opts.sync = true;
    reopen();
  }
};

std::string key(int i) {
  return "user/" + std::to_string(i);
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(engine_restart, durable_fixture)

BOOST_AUTO_TEST_CASE(everything_acknowledged_survives_a_reopen) {
  // Entity i ends at version i % 5 + 1; every seventh is deleted.
  for (int i = 0; i < 100; ++i) {
    auto r = db().create(key(i), "v1");
    BOOST_REQUIRE(r);
    for (int v = 1; v <= i % 5; ++v)
      BOOST_REQUIRE(db().update(key(i), v, "v" + std::to_string(v + 1)));
    if (i % 7 == 0)
      BOOST_REQUIRE(db().erase(key(i), i % 5 + 1));
  }
  reopen();
  for (int i = 0; i < 100; ++i) {
    auto r = db().get(key(i));
    if (i % 7 == 0) {
      BOOST_TEST(code(r) == errc::not_found);
      // The tombstone survived: a create continues after it.
      auto again = db().create(key(i), "again");
      BOOST_REQUIRE(again);
      BOOST_TEST(again->version == static_cast<version_t>(i % 5 + 3));
      continue;
    }
    BOOST_REQUIRE(r);
    BOOST_TEST(r->version == static_cast<version_t>(i % 5 + 1));
    BOOST_TEST(r->value == "v" + std::to_string(i % 5 + 1));
  }
}

BOOST_AUTO_TEST_CASE(async_writes_in_flight_at_close_are_committed) {
  std::vector<std::future<caf::expected<record>>> futures;
  for (int i = 0; i < 500; ++i)
    futures.push_back(db().apply_future(write_op::create(key(i), "x")));
  db().close();
  int acknowledged = 0;
  for (auto& f : futures)
    if (f.get())
      ++acknowledged;
  reopen();
  int stored = 0;
  for (int i = 0; i < 500; ++i)
    if (db().read(key(i)))
      ++stored;
  BOOST_TEST(acknowledged == 500);
  BOOST_TEST(stored == acknowledged);
}

BOOST_AUTO_TEST_CASE(a_second_engine_on_the_same_directory_is_refused) {
  auto second = engine::open(opts);
  BOOST_REQUIRE(!second);
  BOOST_TEST(code_of(second.error()) == errc::storage_failure);
  // The first one is unaffected.
  BOOST_CHECK(db().create("still/here", "yes"));
}

BOOST_AUTO_TEST_SUITE_END()
