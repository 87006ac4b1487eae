#include <boost/test/unit_test.hpp>

#include "entact/conflict.hpp"
#include "support/engine_fixture.hpp"

using namespace entact;
using entact::test::code;

BOOST_FIXTURE_TEST_SUITE(engine_versions, entact::test::engine_fixture)

BOOST_AUTO_TEST_CASE(create_starts_at_version_one_and_updates_increment) {
  auto a = db().create("item/1", "Gadget");
  BOOST_REQUIRE(a);
  BOOST_TEST(a->version == 1u);
  BOOST_TEST(a->value == "Gadget");
  auto b = db().update("item/1", 1, "Super Gadget");
  BOOST_REQUIRE(b);
  BOOST_TEST(b->version == 2u);
  auto got = db().get("item/1");
  BOOST_REQUIRE(got);
  BOOST_TEST(got->version == 2u);
  BOOST_TEST(got->value == "Super Gadget");
}

BOOST_AUTO_TEST_CASE(stale_update_is_refused_with_full_payload) {
  BOOST_REQUIRE(db().create("item/1", "Gadget"));
  BOOST_REQUIRE(db().update("item/1", 1, "Super Gadget"));
  auto stale = db().update("item/1", 1, "Amazing Gadget");
  BOOST_REQUIRE(!stale);
  BOOST_TEST(code(stale) == errc::conflict);
  auto c = conflict_of(stale.error());
  BOOST_REQUIRE(c);
  BOOST_TEST(c->id == "item/1");
  BOOST_TEST(c->expected_version == 1u);
  BOOST_TEST(c->stored.version == 2u);
  BOOST_TEST(c->stored.value == "Super Gadget");
  BOOST_TEST(!c->stored.deleted);
  BOOST_TEST(c->attempted_value == "Amazing Gadget");
  BOOST_TEST((c->attempted_kind == op_kind::update_if_version));
  // The refused write changed nothing.
  auto now = db().read("item/1");
  BOOST_REQUIRE(now);
  BOOST_TEST(now->version == 2u);
  BOOST_TEST(now->value == "Super Gadget");
}

BOOST_AUTO_TEST_CASE(create_if_absent_refuses_an_existing_entity) {
  BOOST_REQUIRE(db().create("item/1", "first"));
  auto again = db().create("item/1", "second");
  BOOST_REQUIRE(!again);
  auto c = conflict_of(again.error());
  BOOST_REQUIRE(c);
  BOOST_TEST(c->stored.value == "first");
  BOOST_TEST((c->attempted_kind == op_kind::create_if_absent));
  BOOST_TEST(db().read("item/1")->value == "first");
}

BOOST_AUTO_TEST_CASE(erase_leaves_a_tombstone_no_stale_writer_can_pass) {
  BOOST_REQUIRE(db().create("item/1", "v1"));
  auto gone = db().erase("item/1", 1);
  BOOST_REQUIRE(gone);
  BOOST_TEST(gone->deleted);
  BOOST_TEST(gone->version == 2u);
  BOOST_TEST(code(db().get("item/1")) == errc::not_found);
  BOOST_TEST(code(db().read("item/1")) == errc::not_found);
  // A writer that read v1 cannot resurrect it.
  auto stale = db().update("item/1", 1, "zombie");
  BOOST_REQUIRE(!stale);
  auto c = conflict_of(stale.error());
  BOOST_REQUIRE(c);
  BOOST_TEST(c->stored.deleted);
  BOOST_TEST(c->stored.version == 2u);
  BOOST_TEST(code(db().read("item/1")) == errc::not_found);
  // A later create continues the version sequence.
  auto again = db().create("item/1", "reborn");
  BOOST_REQUIRE(again);
  BOOST_TEST(again->version == 3u);
}

BOOST_AUTO_TEST_CASE(not_found_tells_the_tombstones_version) {
  BOOST_REQUIRE(db().create("item/1", "v1"));
  BOOST_REQUIRE(db().erase("item/1", 1));
  const record tombstone{"item/1", 2, {}, true};
  auto read = db().read("item/1");
  BOOST_REQUIRE(!read);
  BOOST_TEST((stored_of(read.error()) == tombstone));
  auto got = db().get("item/1");
  BOOST_REQUIRE(!got);
  BOOST_TEST((stored_of(got.error()) == tombstone));
  // A refused write carries it too: the caller can recreate or give up
  // without another read.
  auto upd = db().update("item/1", 2, "x");
  BOOST_REQUIRE(!upd);
  BOOST_TEST(code(upd) == errc::not_found);
  BOOST_TEST((stored_of(upd.error()) == tombstone));
  auto never = db().read("nobody");
  BOOST_REQUIRE(!never);
  BOOST_TEST((stored_of(never.error()) == record{"nobody", 0, {}, false}));
}

BOOST_AUTO_TEST_CASE(update_of_unknown_entity_is_not_found) {
  auto r = db().update("nobody", 0, "x");
  BOOST_TEST(code(r) == errc::not_found);
  BOOST_TEST(code(db().get("nobody")) == errc::not_found);
  BOOST_TEST(code(db().erase("nobody", 0)) == errc::not_found);
  BOOST_TEST(code(db().read("nobody")) == errc::not_found);
}

BOOST_AUTO_TEST_CASE(unconditional_write_overwrites_only_when_asked) {
  BOOST_REQUIRE(db().create("item/1", "a"));
  BOOST_REQUIRE(db().update("item/1", 1, "b"));
  // A versioned write based on v1 is refused...
  BOOST_TEST(code(db().update("item/1", 1, "c")) == errc::conflict);
  // ...the explicitly named last-write-wins goes through.
  auto lww = db().write_unconditionally("item/1", "c");
  BOOST_REQUIRE(lww);
  BOOST_TEST(lww->version == 3u);
  BOOST_TEST(db().read("item/1")->value == "c");
  auto fresh = db().write_unconditionally("item/2", "new");
  BOOST_REQUIRE(fresh);
  BOOST_TEST(fresh->version == 1u);
}

BOOST_AUTO_TEST_CASE(async_writes_answer_every_callback) {
  constexpr int n = 2000;
  std::vector<std::future<caf::expected<record>>> futures;
  for (int i = 0; i < n; ++i)
    futures.push_back(db().apply_future(
      write_op::create("bulk/" + std::to_string(i), std::to_string(i))));
  int ok = 0;
  for (auto& f : futures)
    if (f.get())
      ++ok;
  BOOST_TEST(ok == n);
  BOOST_TEST(db().read("bulk/1999")->value == "1999");
}

BOOST_AUTO_TEST_CASE(closed_engine_refuses_with_closed) {
  db().close();
  BOOST_TEST(code(db().create("x", "y")) == errc::closed);
  BOOST_TEST(code(db().get("x")) == errc::closed);
  BOOST_TEST(code(db().read("x")) == errc::closed);
}

BOOST_AUTO_TEST_SUITE_END()
