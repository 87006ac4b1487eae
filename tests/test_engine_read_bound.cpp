// limits::max_read_bytes on an embedded engine: a read_many whose reply
// (its records' ids and values) would cross the bound is `too_large`, and
// is refused when the records read so far cross it, not after reading
// them all (the message says where it stopped).

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "support/engine_fixture.hpp"

using namespace entact;
using entact::test::code;

namespace {

std::string message_of(const caf::error& err) {
  auto& ctx = err.context();
  return ctx.match_element<std::string>(0) ? ctx.get_as<std::string>(0)
                                           : to_string(err);
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(engine_read_bound, entact::test::engine_fixture)

BOOST_AUTO_TEST_CASE(a_read_under_the_bound_works_one_over_it_is_too_large) {
  opts.limits.max_read_bytes = 1000;
  opts.limits.max_value_bytes = 500; // one record at the limits must fit
  reopen();
  // Ten records of 2 + 100 bytes: nine fit in 1000 bytes, ten do not.
  std::vector<entity_id> ids;
  for (int i = 0; i < 10; ++i) {
    ids.push_back("k" + std::to_string(i));
    BOOST_REQUIRE(db().create(ids.back(), std::string(100, 'v')));
  }
  std::vector<entity_id> nine{ids.begin(), ids.begin() + 9};
  auto fits = db().read_many(nine);
  BOOST_REQUIRE(fits);
  BOOST_TEST(fits->size() == 9u);
  BOOST_TEST(fits->back().value == std::string(100, 'v'));
  auto over = db().read_many(ids);
  BOOST_REQUIRE(!over);
  BOOST_TEST(code(over) == errc::too_large);
  auto what = message_of(over.error());
  BOOST_TEST(contains(what, "limited to 1000 bytes"), what);
  BOOST_TEST(contains(what, "the first 9 of its 10 ids fit"), what);
  BOOST_TEST(contains(what, "reach 1020 bytes"), what);
  // Absent entities count their ids only: 166 * 6 bytes fit, 167 do not.
  BOOST_CHECK(db().read_many(std::vector<entity_id>(166, "nobody")));
  BOOST_TEST(code(db().read_many(std::vector<entity_id>(167, "nobody")))
             == errc::too_large);
  // The same id read twice counts twice.
  BOOST_TEST(code(db().read_many(std::vector<entity_id>(10, "k0")))
             == errc::too_large);
}

BOOST_AUTO_TEST_CASE(a_huge_reply_is_refused_at_the_bound_not_built_first) {
  // The defaults: 4096 ids of one 1 MiB value would be a 4 GiB reply.
  BOOST_TEST(opts.limits.max_read_bytes == 16u * 1024 * 1024);
  std::string mib(opts.limits.max_value_bytes, 'x');
  BOOST_REQUIRE(db().create("big", mib));
  std::vector<entity_id> ids(opts.limits.max_read_ids, "big");
  auto over = db().read_many(ids);
  BOOST_REQUIRE(!over);
  BOOST_TEST(code(over) == errc::too_large);
  // It stopped at the 16th record: 16 * (3 + 1 MiB) bytes, not 4 GiB.
  auto what = message_of(over.error());
  BOOST_TEST(contains(what, "the first 15 of its 4096 ids fit"), what);
  BOOST_TEST(contains(what, "reach " + std::to_string(16 * (3 + mib.size()))
                              + " bytes"),
             what);
  // Fifteen of them are a legal read.
  auto fits = db().read_many(std::vector<entity_id>(15, "big"));
  BOOST_REQUIRE(fits);
  BOOST_TEST(fits->size() == 15u);
}

BOOST_AUTO_TEST_CASE(the_bound_must_hold_one_record_at_the_limits) {
  auto bad = opts;
  bad.limits.max_read_bytes = 0;
  BOOST_TEST(code(engine::open(bad)) == errc::invalid_argument);
  // 256 + 1 MiB: a record at the id and value limits.
  bad.limits.max_read_bytes = opts.limits.max_value_bytes + 255;
  BOOST_TEST(code(engine::open(bad)) == errc::invalid_argument);
  auto good = opts;
  good.limits.max_read_bytes = opts.limits.max_value_bytes + 256;
  eng.reset();
  BOOST_CHECK(engine::open(good));
}

BOOST_AUTO_TEST_SUITE_END()
