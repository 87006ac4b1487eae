#include <boost/test/unit_test.hpp>

#include "support/engine_fixture.hpp"

using namespace entact;
using entact::test::code;

BOOST_FIXTURE_TEST_SUITE(engine_batch, entact::test::engine_fixture)

BOOST_AUTO_TEST_CASE(a_batch_commits_all_ops_atomically) {
  BOOST_REQUIRE(db().create("a", "1"));
  auto r = db().apply_batch({write_op::update("a", 1, "2"),
                             write_op::create("b", "new")});
  BOOST_REQUIRE(r);
  BOOST_REQUIRE(r->size() == 2u);
  BOOST_TEST((*r)[0].version == 2u);
  BOOST_TEST((*r)[1].version == 1u);
  // Entity caches learned the batch's records.
  BOOST_TEST(db().get("a")->value == "2");
  BOOST_TEST(db().get("b")->value == "new");
}

BOOST_AUTO_TEST_CASE(one_stale_op_refuses_the_whole_batch) {
  BOOST_REQUIRE(db().create("a", "1"));
  BOOST_REQUIRE(db().create("b", "1"));
  BOOST_REQUIRE(db().get("b")); // activate b so its cache could go stale
  BOOST_REQUIRE(db().update("b", 1, "moved on"));
  auto r = db().apply_batch({write_op::update("a", 1, "2"),
                             write_op::update("b", 1, "2")});
  BOOST_REQUIRE(!r);
  auto c = conflict_of(r.error());
  BOOST_REQUIRE(c);
  BOOST_TEST(c->id == "b");
  BOOST_TEST(c->stored.value == "moved on");
  BOOST_TEST(db().read("a")->version == 1u);
  BOOST_TEST(db().read("a")->value == "1");
}

BOOST_AUTO_TEST_CASE(bad_batches_are_refused) {
  BOOST_TEST(code(db().apply_batch({})) == errc::invalid_argument);
  BOOST_TEST(code(db().apply_batch({write_op::create("a", "1"),
                                    write_op::create("a", "2")}))
             == errc::invalid_argument);
  BOOST_TEST(code(db().apply_batch({write_op::create("bad id", "1")}))
             == errc::invalid_argument);
  std::vector<write_op> many;
  for (int i = 0; i < 65; ++i)
    many.push_back(write_op::create("k/" + std::to_string(i), "x"));
  BOOST_TEST(code(db().apply_batch(many)) == errc::too_large);
  BOOST_TEST(code(db().read("a")) == errc::not_found);
  BOOST_TEST(code(db().read("k/0")) == errc::not_found);
}

BOOST_AUTO_TEST_SUITE_END()
