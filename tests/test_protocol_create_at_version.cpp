// The versioned create (`op_kind::create_at_version`): creates only over
// the exact missing state it names, as `modify` needs for a missing entity.

#include <boost/test/unit_test.hpp>

#include "entact/conflict.hpp"
#include "entact/decide.hpp"
#include "entact/errc.hpp"
#include "entact/write_op.hpp"
#include "support/print.hpp"

using namespace entact;

BOOST_AUTO_TEST_SUITE(create_at_version)

BOOST_AUTO_TEST_CASE(creates_only_over_the_named_missing_state) {
  record absent{"k", no_version, {}, false};
  record tomb{"k", 5, {}, true};
  record live{"k", 3, "x", false};
  auto fresh = decide(absent, write_op::create_at("k", 0, "a"));
  BOOST_REQUIRE(fresh);
  BOOST_TEST(fresh->version == 1u);
  BOOST_TEST(fresh->value == "a");
  auto again = decide(tomb, write_op::create_at("k", 5, "b"));
  BOOST_REQUIRE(again);
  BOOST_TEST(again->version == 6u);
  BOOST_TEST(!again->deleted);
  // A stale view of the missing entity is refused, with the payload.
  auto stale = decide(tomb, write_op::create_at("k", 0, "c"));
  BOOST_REQUIRE(!stale);
  auto c = conflict_of(stale.error());
  BOOST_REQUIRE(c);
  BOOST_TEST(c->stored.version == 5u);
  BOOST_TEST(c->expected_version == 0u);
  BOOST_TEST((c->attempted_kind == op_kind::create_at_version));
  BOOST_TEST(is_conflict(decide(live, write_op::create_at("k", 3, "d")).error()));
  BOOST_TEST(is_conflict(decide(tomb, write_op::create_at("k", 4, "d")).error()));
  record last{"k", max_version, {}, true};
  BOOST_TEST(code_of(decide(last, write_op::create_at("k", max_version, "e"))
                       .error())
             == errc::version_overflow);
}

BOOST_AUTO_TEST_CASE(is_well_formed_with_a_version) {
  BOOST_TEST(!validate(write_op::create_at("k", 7, "v"), limits{}));
  BOOST_TEST(to_string(op_kind::create_at_version)
             == std::string{"create_at_version"});
}

BOOST_AUTO_TEST_SUITE_END()
