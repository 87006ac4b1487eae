#include <boost/test/unit_test.hpp>

#include <caf/scoped_actor.hpp>

#include "entact/storage/record_codec.hpp"
#include "entact/storage/store.hpp"
#include "support/engine_fixture.hpp"

#include <rocksdb/utilities/optimistic_transaction_db.h>

using namespace entact;
using entact::test::code;

BOOST_FIXTURE_TEST_SUITE(engine_bad_input, entact::test::engine_fixture)

BOOST_AUTO_TEST_CASE(invalid_ids_are_refused_and_change_nothing) {
  BOOST_TEST(code(db().create("", "x")) == errc::invalid_argument);
  BOOST_TEST(code(db().create("has space", "x")) == errc::invalid_argument);
  BOOST_TEST(code(db().create("new\nline", "x")) == errc::invalid_argument);
  BOOST_TEST(code(db().create("caf\xc3\xa9", "x")) == errc::invalid_argument);
  BOOST_TEST(code(db().create(std::string(257, 'a'), "x")) == errc::too_large);
  BOOST_TEST(code(db().get("")) == errc::invalid_argument);
  BOOST_TEST(code(db().read(std::string(257, 'a'))) == errc::too_large);
  BOOST_CHECK(db().create(std::string(256, 'a'), "x"));
  auto s = db().stats();
  BOOST_REQUIRE(s);
  BOOST_TEST(s->activations == 1u); // only the valid id reached an entity
}

BOOST_AUTO_TEST_CASE(oversized_values_are_refused_and_change_nothing) {
  BOOST_REQUIRE(db().create("blob", "small"));
  auto big = std::string(opts.limits.max_value_bytes + 1, 'x');
  BOOST_TEST(code(db().update("blob", 1, big)) == errc::too_large);
  BOOST_TEST(code(db().write_unconditionally("blob", big)) == errc::too_large);
  auto r = db().read("blob");
  BOOST_REQUIRE(r);
  BOOST_TEST(r->version == 1u);
  BOOST_TEST(r->value == "small");
  auto max = std::string(opts.limits.max_value_bytes, 'x');
  BOOST_CHECK(db().update("blob", 1, max));
}

BOOST_AUTO_TEST_CASE(malformed_ops_are_refused) {
  BOOST_REQUIRE(db().create("item", "v"));
  auto erase_with_value = write_op::erase("item", 1);
  erase_with_value.value = "oops";
  BOOST_TEST(code(db().apply(erase_with_value)) == errc::invalid_argument);
  auto unknown = write_op::update("item", 1, "w");
  unknown.kind = static_cast<op_kind>(42);
  BOOST_TEST(code(db().apply(unknown)) == errc::invalid_argument);
  BOOST_TEST(db().read("item")->version == 1u);
}

BOOST_AUTO_TEST_CASE(version_overflow_is_refused_not_wrapped) {
  eng.reset();
  {
    auto st = storage::store::open({opts.path, false, 16, opts.limits});
    BOOST_REQUIRE(st);
    auto bytes = storage::encode_record({"old", max_version, "last", false});
    auto s = (*st)->raw_db()->Put(rocksdb::WriteOptions{},
                                  storage::entity_key("old"), bytes);
    BOOST_REQUIRE(s.ok());
  }
  reopen();
  BOOST_TEST(code(db().update("old", max_version, "next"))
             == errc::version_overflow);
  BOOST_TEST(code(db().write_unconditionally("old", "next"))
             == errc::version_overflow);
  BOOST_TEST(code(db().erase("old", max_version)) == errc::version_overflow);
  auto r = db().read("old");
  BOOST_REQUIRE(r);
  BOOST_TEST(r->version == max_version);
  BOOST_TEST(r->value == "last");
}

BOOST_AUTO_TEST_CASE(unknown_messages_get_an_error_and_the_router_survives) {
  caf::scoped_actor self{db().system()};
  auto untyped = caf::actor_cast<caf::actor>(db().router());
  bool refused = false;
  self->request(untyped, std::chrono::seconds{5}, std::string{"garbage"})
    .receive([&](const caf::message&) {},
             [&](caf::error& err) {
               refused = err == caf::sec::unexpected_message;
             });
  BOOST_TEST(refused);
  BOOST_CHECK(db().create("after/garbage", "fine"));
}

BOOST_AUTO_TEST_CASE(read_many_is_capped_by_the_limits) {
  // The embedded path has the remote one's cap: limits::max_read_ids.
  BOOST_TEST(opts.limits.max_read_ids == 4096u);
  std::vector<entity_id> ids(opts.limits.max_read_ids, "k");
  auto at_limit = db().read_many(ids);
  BOOST_REQUIRE(at_limit);
  BOOST_TEST(at_limit->size() == 4096u);
  ids.push_back("k");
  BOOST_TEST(code(db().read_many(ids)) == errc::too_large);
  // And it is an option like the other limits.
  opts.limits.max_read_ids = 2;
  reopen();
  BOOST_CHECK(db().read_many({"a", "b"}));
  BOOST_TEST(code(db().read_many({"a", "b", "c"})) == errc::too_large);
}

BOOST_AUTO_TEST_CASE(bad_options_are_refused) {
  auto bad = opts;
  bad.path.clear();
  BOOST_TEST(code(engine::open(bad)) == errc::invalid_argument);
  bad = opts;
  bad.resident_cap = 0;
  BOOST_TEST(code(engine::open(bad)) == errc::invalid_argument);
  bad = opts;
  bad.idle_timeout = std::chrono::milliseconds{0};
  BOOST_TEST(code(engine::open(bad)) == errc::invalid_argument);
  bad = opts;
  bad.limits.max_read_ids = 0;
  BOOST_TEST(code(engine::open(bad)) == errc::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
