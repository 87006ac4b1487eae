#include <boost/test/unit_test.hpp>

#include "entact/resolve.hpp"
#include "support/engine_fixture.hpp"

using namespace entact;
using entact::test::code;

namespace {

/// Sets up the classic lost-update situation: the caller read v1
/// ("Gadget"), someone saved "Super Gadget" (v2), the caller's save of
/// "Amazing Gadget" based on v1 was refused. Returns that conflict.
struct conflict_fixture : entact::test::engine_fixture {
  conflict c;

  conflict_fixture() {
    auto v1 = db().create("product/1", "Gadget");
    auto v2 = db().update("product/1", 1, "Super Gadget");
    auto mine = db().update("product/1", 1, "Amazing Gadget");
    if (!v1 || !v2 || mine)
      throw std::runtime_error("setup failed");
    c = *conflict_of(mine.error());
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(resolve, conflict_fixture)

BOOST_AUTO_TEST_CASE(database_wins_reloads_the_stored_record) {
  auto r = resolve_database_wins(db(), c);
  BOOST_REQUIRE(r);
  BOOST_TEST(r->version == 2u);
  BOOST_TEST(r->value == "Super Gadget");
}

BOOST_AUTO_TEST_CASE(client_wins_overwrites_at_the_stored_version) {
  auto r = resolve_client_wins(db(), c);
  BOOST_REQUIRE(r);
  BOOST_TEST(r->version == 3u);
  BOOST_TEST(r->value == "Amazing Gadget");
}

BOOST_AUTO_TEST_CASE(client_wins_conflicts_again_if_another_write_landed) {
  BOOST_REQUIRE(db().update("product/1", 2, "Mega Gadget"));
  auto r = resolve_client_wins(db(), c);
  BOOST_TEST(code(r) == errc::conflict);
  BOOST_TEST(db().read("product/1")->value == "Mega Gadget");
}

BOOST_AUTO_TEST_CASE(client_wins_recreates_a_deleted_entity) {
  BOOST_REQUIRE(db().erase("product/1", 2));
  auto stale = db().update("product/1", 2, "Amazing Gadget");
  BOOST_REQUIRE(!stale);
  auto r = resolve_client_wins(db(), *conflict_of(stale.error()));
  BOOST_REQUIRE(r);
  BOOST_TEST(r->version == 4u);
  BOOST_TEST(r->value == "Amazing Gadget");
}

BOOST_AUTO_TEST_CASE(client_wins_of_an_erase_erases_the_current_version) {
  auto stale = db().erase("product/1", 1);
  BOOST_REQUIRE(!stale);
  auto r = resolve_client_wins(db(), *conflict_of(stale.error()));
  BOOST_REQUIRE(r);
  BOOST_TEST(r->deleted);
  BOOST_TEST(code(db().read("product/1")) == errc::not_found);
}

BOOST_AUTO_TEST_CASE(merge_combines_original_attempted_and_stored) {
  merge_fn both = [](const std::string& original, const std::string& attempted,
                     const record& stored) -> std::optional<std::string> {
    return original + "|" + attempted + "|" + stored.value;
  };
  auto r = resolve_merge(db(), c, "Gadget", both);
  BOOST_REQUIRE(r);
  BOOST_TEST(r->version == 3u);
  BOOST_TEST(r->value == "Gadget|Amazing Gadget|Super Gadget");
}

BOOST_AUTO_TEST_CASE(merge_that_gives_up_writes_nothing) {
  auto r = resolve_merge(db(), c, "Gadget",
                         [](auto&, auto&, auto&) { return std::nullopt; });
  BOOST_TEST(code(r) == errc::aborted);
  BOOST_TEST(db().read("product/1")->version == 2u);
}

BOOST_AUTO_TEST_CASE(read_modify_write_retries_until_it_lands) {
  retry_stats stats;
  int calls = 0;
  auto r = read_modify_write(
    db(), "product/1",
    [&](const record& cur) -> std::optional<std::string> {
      // The first two attempts are overtaken by another writer.
      if (++calls <= 2)
        if (!db().update("product/1", cur.version, "interloper"))
          return std::nullopt;
      return cur.value + "!";
    },
    retry_policy{}, &stats);
  BOOST_REQUIRE(r);
  BOOST_TEST(r->value == "interloper!");
  BOOST_TEST(stats.attempts == 3u);
  BOOST_TEST(stats.conflicts == 2u);
}

BOOST_AUTO_TEST_CASE(read_modify_write_gives_up_after_max_attempts) {
  retry_policy once;
  once.max_attempts = 2;
  retry_stats stats;
  auto r = read_modify_write(
    db(), "product/1",
    [&](const record& cur) -> std::optional<std::string> {
      db().update("product/1", cur.version, "interloper");
      return "mine";
    },
    once, &stats);
  BOOST_TEST(code(r) == errc::conflict);
  BOOST_TEST(stats.attempts == 2u);
  BOOST_TEST(db().read("product/1")->value == "interloper");
}

BOOST_AUTO_TEST_CASE(read_modify_write_creates_an_absent_entity) {
  auto r = read_modify_write(db(), "fresh", [](const record& cur) {
    return std::optional<std::string>{cur.exists() ? "no" : "created"};
  });
  BOOST_REQUIRE(r);
  BOOST_TEST(r->version == 1u);
  BOOST_TEST(r->value == "created");
}

BOOST_AUTO_TEST_SUITE_END()
