// A prepared transaction survives a restart with all its writes and keeps
// holding its ids; a damaged prepared record refuses the open instead of
// being dropped (a participant that forgot its vote would break atomicity).

#include <boost/test/unit_test.hpp>

#include <memory>
#include <string>
#include <vector>

#include "entact/errc.hpp"
#include "entact/storage/prepared.hpp"
#include "entact/storage/store.hpp"
#include "support/prepared_store.hpp"
#include "support/print.hpp"
#include "support/store_open.hpp"
#include "support/temp_dir.hpp"

using namespace entact;
using namespace entact::storage;
using entact::test::prepare_of;

namespace {

struct fixture {
  entact::test::temp_dir dir;
  store_options opts = entact::test::options_for(dir.sub("db"));

  std::unique_ptr<store> open() {
    auto s = store::open(opts);
    BOOST_REQUIRE_MESSAGE(s, entact::test::why(s));
    return std::move(*s);
  }

  /// Prepares "t1" (acct/a 100 -> 70, acct/b created at 30) and closes.
  void prepare_and_close() {
    auto db = open();
    BOOST_REQUIRE(db->commit({write_op::create("acct/a", "100")}));
    BOOST_REQUIRE(db->prepare(
      prepare_of("t1", {write_op::update("acct/a", 1, "70"),
                        write_op::create("acct/b", "30")})));
  }

  /// Replaces the stored prepared record of "t1" by what `damage` makes of
  /// it, behind the store's back.
  template <class Damage>
  void damage_record(Damage damage) {
    prepare_and_close();
    auto db = open();
    auto bytes = entact::test::raw_value(*db, prepared_key("t1"));
    BOOST_REQUIRE(!bytes.empty());
    BOOST_REQUIRE(entact::test::raw_put(*db, prepared_key("t1"),
                                        damage(bytes)));
  }

  void expect_refused() {
    for (int attempt = 0; attempt < 2; ++attempt) { // and not dropped
      auto s = store::open(opts);
      BOOST_REQUIRE(!s);
      BOOST_TEST(code_of(s.error()) == errc::storage_failure);
      auto why = entact::test::why(s);
      BOOST_TEST(why.find("prepared record of transaction t1 is damaged")
                   != std::string::npos,
                 why);
      BOOST_TEST(why.find("refusing to open") != std::string::npos, why);
    }
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(prepared_recovery, fixture)

BOOST_AUTO_TEST_CASE(a_reopened_store_lists_what_was_prepared_and_holds_it) {
  prepare_and_close();
  auto db = open();
  auto all = db->prepared();
  BOOST_REQUIRE(all.size() == 1u);
  const auto& t = all.front();
  BOOST_TEST(t.txn == "t1");
  BOOST_TEST(t.decision_holder == "node-a");
  BOOST_TEST((t.participants == std::vector<std::string>{"node-a", "node-b"}));
  BOOST_REQUIRE(t.writes.size() == 2u);
  BOOST_TEST((t.writes[0]
              == prepared_write{write_op::update("acct/a", 1, "70"), 1}));
  BOOST_TEST((t.writes[1]
              == prepared_write{write_op::create("acct/b", "30"), 0}));
  // Still held after the restart.
  auto direct = db->commit({write_op::update("acct/a", 1, "0")});
  BOOST_TEST(entact::test::code(direct) == errc::lock_timeout);
  BOOST_TEST(db->read("acct/a")->value == "100");
  auto done = db->commit_prepared("t1");
  BOOST_REQUIRE_MESSAGE(done, entact::test::why(done));
  BOOST_TEST(db->read("acct/a")->value == "70");
  BOOST_TEST(db->read("acct/a")->version == 2u);
  BOOST_TEST(db->read("acct/b")->value == "30");
  db.reset();
  db = open();
  BOOST_TEST(db->prepared().empty());
  BOOST_TEST(db->read("acct/a")->version == 2u);
}

BOOST_AUTO_TEST_CASE(an_abort_after_a_restart_is_durable_too) {
  prepare_and_close();
  {
    auto db = open();
    BOOST_REQUIRE(!db->abort_prepared("t1"));
  }
  auto db = open();
  BOOST_TEST(db->prepared().empty());
  BOOST_TEST(db->read("acct/a")->value == "100");
  BOOST_TEST(!db->read("acct/b")->exists());
}

BOOST_AUTO_TEST_CASE(a_truncated_prepared_record_refuses_the_open) {
  damage_record([](std::string b) { return b.substr(0, b.size() / 2); });
  expect_refused();
}

BOOST_AUTO_TEST_CASE(trailing_bytes_refuse_the_open) {
  damage_record([](std::string b) { return b + "x"; });
  expect_refused();
}

BOOST_AUTO_TEST_CASE(an_unknown_record_format_refuses_the_open) {
  damage_record([](std::string b) {
    b[0] = '\x07';
    return b;
  });
  expect_refused();
}

BOOST_AUTO_TEST_CASE(an_empty_prepared_record_refuses_the_open) {
  damage_record([](const std::string&) { return std::string{}; });
  expect_refused();
}

BOOST_AUTO_TEST_CASE(a_record_under_another_txn_key_refuses_the_open) {
  prepare_and_close();
  {
    auto db = open();
    auto bytes = entact::test::raw_value(*db, prepared_key("t1"));
    BOOST_REQUIRE(entact::test::raw_put(*db, prepared_key("t2"), bytes));
  }
  auto s = store::open(opts);
  BOOST_REQUIRE(!s);
  BOOST_TEST(code_of(s.error()) == errc::storage_failure);
  BOOST_TEST(entact::test::why(s).find("names transaction t1")
               != std::string::npos,
             entact::test::why(s));
}

// Only a damaged directory can hold two prepared transactions on one id:
// a record copied in from another store, behind the store's back.
BOOST_AUTO_TEST_CASE(two_prepared_records_holding_one_id_refuse_the_open) {
  std::string foreign;
  {
    entact::test::temp_dir other;
    auto s = store::open(entact::test::options_for(other.sub("db")));
    BOOST_REQUIRE(s);
    BOOST_REQUIRE((*s)->prepare(
      prepare_of("t2", {write_op::unconditional("acct/a", "0")})));
    foreign = entact::test::raw_value(**s, prepared_key("t2"));
  }
  prepare_and_close();
  {
    auto db = open();
    BOOST_REQUIRE(entact::test::raw_put(*db, prepared_key("t2"), foreign));
  }
  auto s = store::open(opts);
  BOOST_REQUIRE(!s);
  BOOST_TEST(code_of(s.error()) == errc::storage_failure);
  BOOST_TEST(entact::test::why(s).find("t1 and t2 both hold acct/a")
               != std::string::npos,
             entact::test::why(s));
}

BOOST_AUTO_TEST_SUITE_END()
