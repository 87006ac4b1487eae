#include <boost/test/unit_test.hpp>

#include <ostream>
#include <string>
#include <vector>

#include <caf/message.hpp>

#include "entact/conflict.hpp"
#include "entact/decide.hpp"
#include "entact/errc.hpp"
#include "entact/not_found.hpp"
#include "entact/write_op.hpp"
#include "support/print.hpp"


using namespace entact;

namespace {

record absent(const std::string& id) {
  return record{id, no_version, {}, false};
}

record live(const std::string& id, version_t v, std::string value) {
  return record{id, v, std::move(value), false};
}

record tombstone(const std::string& id, version_t v) {
  return record{id, v, {}, true};
}

errc code_of_result(const caf::expected<record>& x) {
  return x ? errc::none : code_of(x.error());
}

} // namespace

BOOST_AUTO_TEST_SUITE(update_if_version)

BOOST_AUTO_TEST_CASE(matching_version_bumps_and_replaces) {
  auto next = decide(live("a", 3, "old"), write_op::update("a", 3, "new"));
  BOOST_REQUIRE(next);
  BOOST_TEST((*next == live("a", 4, "new")));
}

BOOST_AUTO_TEST_CASE(stale_version_is_a_conflict_with_payload) {
  auto stored = live("a", 5, "theirs");
  auto next = decide(stored, write_op::update("a", 3, "mine"));
  BOOST_REQUIRE(!next);
  auto c = conflict_of(next.error());
  BOOST_REQUIRE(c);
  BOOST_TEST(c->id == "a");
  BOOST_TEST(c->expected_version == 3u);
  BOOST_TEST((c->stored == stored));
  BOOST_TEST(c->attempted_kind == op_kind::update_if_version);
  BOOST_TEST(c->attempted_value == "mine");
}

BOOST_AUTO_TEST_CASE(absent_entity_is_not_found) {
  BOOST_TEST(code_of_result(decide(absent("a"), write_op::update("a", 0, "x")))
             == errc::not_found);
}

BOOST_AUTO_TEST_CASE(absent_entity_with_a_version_is_a_conflict) {
  auto next = decide(absent("a"), write_op::update("a", 2, "x"));
  BOOST_REQUIRE(!next);
  auto c = conflict_of(next.error());
  BOOST_REQUIRE(c);
  BOOST_TEST(c->stored.version == no_version);
  BOOST_TEST(!c->stored.exists());
}

BOOST_AUTO_TEST_CASE(tombstone_with_stale_version_is_a_conflict) {
  auto next = decide(tombstone("a", 6), write_op::update("a", 5, "x"));
  BOOST_REQUIRE(!next);
  auto c = conflict_of(next.error());
  BOOST_REQUIRE(c);
  BOOST_TEST(c->stored.deleted);
  BOOST_TEST(c->stored.version == 6u);
}

BOOST_AUTO_TEST_CASE(tombstone_with_its_version_is_not_found) {
  // The writer saw the deletion: there is nothing left to update.
  BOOST_TEST(code_of_result(decide(tombstone("a", 6),
                                   write_op::update("a", 6, "x")))
             == errc::not_found);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(create_if_absent)

BOOST_AUTO_TEST_CASE(absent_entity_starts_at_version_one) {
  auto next = decide(absent("a"), write_op::create("a", "v"));
  BOOST_REQUIRE(next);
  BOOST_TEST((*next == live("a", 1, "v")));
}

BOOST_AUTO_TEST_CASE(tombstone_continues_the_version_sequence) {
  auto next = decide(tombstone("a", 9), write_op::create("a", "again"));
  BOOST_REQUIRE(next);
  BOOST_TEST((*next == live("a", 10, "again")));
}

BOOST_AUTO_TEST_CASE(existing_entity_is_a_conflict_with_payload) {
  auto stored = live("a", 2, "there");
  auto next = decide(stored, write_op::create("a", "mine"));
  BOOST_REQUIRE(!next);
  BOOST_TEST(is_conflict(next.error()));
  auto c = conflict_of(next.error());
  BOOST_REQUIRE(c);
  BOOST_TEST(c->expected_version == no_version);
  BOOST_TEST((c->stored == stored));
  BOOST_TEST(c->attempted_kind == op_kind::create_if_absent);
  BOOST_TEST(c->attempted_value == "mine");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(erase_if_version)

BOOST_AUTO_TEST_CASE(matching_version_leaves_a_tombstone_with_its_own_version) {
  auto next = decide(live("a", 4, "v"), write_op::erase("a", 4));
  BOOST_REQUIRE(next);
  BOOST_TEST((*next == tombstone("a", 5)));
  BOOST_TEST(!next->exists());
}

BOOST_AUTO_TEST_CASE(stale_version_is_a_conflict_with_payload) {
  auto stored = live("a", 4, "v");
  auto next = decide(stored, write_op::erase("a", 3));
  BOOST_REQUIRE(!next);
  auto c = conflict_of(next.error());
  BOOST_REQUIRE(c);
  BOOST_TEST(c->expected_version == 3u);
  BOOST_TEST((c->stored == stored));
  BOOST_TEST(c->attempted_kind == op_kind::erase_if_version);
  BOOST_TEST(c->attempted_value.empty());
}

BOOST_AUTO_TEST_CASE(tombstone_with_stale_version_is_a_conflict) {
  BOOST_TEST(code_of_result(decide(tombstone("a", 5), write_op::erase("a", 4)))
             == errc::conflict);
}

BOOST_AUTO_TEST_CASE(tombstone_with_its_version_is_not_found) {
  BOOST_TEST(code_of_result(decide(tombstone("a", 5), write_op::erase("a", 5)))
             == errc::not_found);
}

BOOST_AUTO_TEST_CASE(absent_entity_is_not_found) {
  BOOST_TEST(code_of_result(decide(absent("a"), write_op::erase("a", 0)))
             == errc::not_found);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(write_unconditionally)

BOOST_AUTO_TEST_CASE(bumps_whatever_is_stored) {
  auto a = decide(absent("a"), write_op::unconditional("a", "x"));
  BOOST_REQUIRE(a);
  BOOST_TEST((*a == live("a", 1, "x")));
  auto b = decide(live("a", 7, "old"), write_op::unconditional("a", "y"));
  BOOST_REQUIRE(b);
  BOOST_TEST((*b == live("a", 8, "y")));
  auto c = decide(tombstone("a", 3), write_op::unconditional("a", "z"));
  BOOST_REQUIRE(c);
  BOOST_TEST((*c == live("a", 4, "z")));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(version_overflow)

BOOST_AUTO_TEST_CASE(every_kind_refuses_to_wrap) {
  auto top = live("a", max_version, "v");
  for (auto op : {write_op::update("a", max_version, "x"),
                  write_op::erase("a", max_version),
                  write_op::unconditional("a", "x")}) {
    auto next = decide(top, op);
    BOOST_TEST(!next, "kind " << to_string(op.kind));
    BOOST_TEST(code_of_result(next) == errc::version_overflow);
  }
  auto create = decide(tombstone("a", max_version), write_op::create("a", "x"));
  BOOST_TEST(code_of_result(create) == errc::version_overflow);
}

BOOST_AUTO_TEST_CASE(one_below_the_top_still_works) {
  auto next = decide(live("a", max_version - 1, "v"),
                     write_op::update("a", max_version - 1, "x"));
  BOOST_REQUIRE(next);
  BOOST_TEST(next->version == max_version);
}

BOOST_AUTO_TEST_SUITE_END()

// README.md's table ("Semantics"), row by row: op x stored state.
BOOST_AUTO_TEST_SUITE(the_version_rule_table)

BOOST_AUTO_TEST_CASE(every_cell) {
  struct cell {
    record stored;
    write_op op;
    errc outcome;
    version_t written = no_version; // the new version where it succeeds
  };
  auto never = absent("a");
  auto there = live("a", 4, "v");
  auto gone = tombstone("a", 4);
  std::vector<cell> table{
    {never, write_op::update("a", 0, "x"), errc::not_found},
    {never, write_op::update("a", 4, "x"), errc::conflict},
    {there, write_op::update("a", 4, "x"), errc::none, 5},
    {there, write_op::update("a", 0, "x"), errc::conflict},
    {gone, write_op::update("a", 4, "x"), errc::not_found},
    {gone, write_op::update("a", 0, "x"), errc::conflict},
    {never, write_op::erase("a", 0), errc::not_found},
    {never, write_op::erase("a", 4), errc::conflict},
    {there, write_op::erase("a", 4), errc::none, 5},
    {there, write_op::erase("a", 3), errc::conflict},
    {gone, write_op::erase("a", 4), errc::not_found},
    {gone, write_op::erase("a", 0), errc::conflict},
    {never, write_op::create("a", "x"), errc::none, 1},
    {there, write_op::create("a", "x"), errc::conflict},
    {gone, write_op::create("a", "x"), errc::none, 5},
    {never, write_op::unconditional("a", "x"), errc::none, 1},
    {there, write_op::unconditional("a", "x"), errc::none, 5},
    {gone, write_op::unconditional("a", "x"), errc::none, 5},
  };
  for (auto& c : table) {
    auto next = decide(c.stored, c.op);
    auto what = std::string{to_string(c.op.kind)} + " at v"
                + std::to_string(c.op.expected_version) + " on v"
                + std::to_string(c.stored.version)
                + (c.stored.deleted ? " (deleted)" : "");
    BOOST_TEST(code_of_result(next) == c.outcome, what);
    if (next)
      BOOST_TEST(next->version == c.written, what);
    else // both refusals carry the stored record
      BOOST_TEST((stored_of(next.error()) == c.stored), what);
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(misc)

BOOST_AUTO_TEST_CASE(unknown_kind_is_invalid) {
  auto op = write_op::update("a", 1, "x");
  op.kind = static_cast<op_kind>(200);
  BOOST_TEST(code_of_result(decide(live("a", 1, "v"), op))
             == errc::invalid_argument);
}

BOOST_AUTO_TEST_CASE(not_found_carries_the_stored_record) {
  // A tombstone at the version named: its version is in the error.
  auto gone = decide(tombstone("a", 6), write_op::update("a", 6, "x"));
  BOOST_REQUIRE(!gone);
  BOOST_TEST(is_not_found(gone.error()));
  auto stored = stored_of(gone.error());
  BOOST_REQUIRE(stored);
  BOOST_TEST((*stored == tombstone("a", 6)));
  BOOST_TEST(!conflict_of(gone.error()));
  // Never existed: version 0.
  auto never = decide(absent("a"), write_op::erase("a", 0));
  BOOST_REQUIRE(!never);
  BOOST_TEST((stored_of(never.error()) == absent("a")));
  // stored_of reads a conflict's stored record as well.
  auto stale = decide(live("a", 5, "v"), write_op::update("a", 3, "x"));
  BOOST_REQUIRE(!stale);
  BOOST_TEST((stored_of(stale.error()) == live("a", 5, "v")));
  BOOST_TEST(!stored_of(make_error(errc::timeout, "a")));
  BOOST_TEST(!stored_of(make_error(errc::not_found, "no record attached")));
}

BOOST_AUTO_TEST_CASE(existing_passes_records_that_exist) {
  BOOST_TEST((existing(live("a", 2, "v")).value() == live("a", 2, "v")));
  auto gone = existing(tombstone("a", 3));
  BOOST_REQUIRE(!gone);
  BOOST_TEST((stored_of(gone.error()) == tombstone("a", 3)));
}

BOOST_AUTO_TEST_CASE(conflict_of_ignores_other_errors) {
  BOOST_TEST(!conflict_of(make_error(errc::not_found, "a")));
  BOOST_TEST(!conflict_of(caf::error{}));
  BOOST_TEST(!is_conflict(make_error(errc::timeout)));
  // A conflict code without a payload yields no payload rather than crash.
  BOOST_TEST(!conflict_of(make_error(errc::conflict)));
}

BOOST_AUTO_TEST_SUITE_END()
