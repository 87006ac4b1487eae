// Prepared transactions and decision records in one store (two-phase
// commit at a participant, README "Two-phase commit: storage"): a prepare
// stages writes durably without applying them and holds their ids; commit
// applies them once, abort drops them; a stale prepare writes nothing.

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "entact/errc.hpp"
#include "entact/storage/prepared.hpp"
#include "entact/storage/record_codec.hpp"
#include "entact/storage/store.hpp"
#include "support/prepared_store.hpp"
#include "support/print.hpp"
#include "support/store_open.hpp"
#include "support/temp_dir.hpp"

using namespace entact;
using namespace entact::storage;
using entact::test::prepare_of;
using entact::test::raw_value;

namespace {

struct fixture {
  entact::test::temp_dir dir;
  store_options opts = entact::test::options_for(dir.sub("db"));
  std::unique_ptr<store> db;
  std::vector<record> told; // what on_commit saw

  fixture() {
    opts.on_commit = [this](const std::vector<record>& recs) {
      told.insert(told.end(), recs.begin(), recs.end());
    };
    reopen();
  }

  void reopen() {
    db.reset();
    auto s = store::open(opts);
    BOOST_REQUIRE_MESSAGE(s, entact::test::why(s));
    db = std::move(*s);
  }

  record read(const std::string& id) {
    auto r = db->read(id);
    BOOST_REQUIRE(r);
    return *r;
  }

  /// Creates `id` with `value` and returns its version.
  version_t create(const std::string& id, const std::string& value) {
    auto r = db->commit({write_op::create(id, value)});
    BOOST_REQUIRE(r);
    return r->front().version;
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(prepared, fixture)

BOOST_AUTO_TEST_CASE(prepare_then_commit_applies_the_writes_at_new_versions) {
  auto a = create("acct/a", "100");
  auto t = db->prepare(prepare_of("t1", {write_op::update("acct/a", a, "70"),
                                         write_op::create("acct/b", "30")}));
  BOOST_REQUIRE_MESSAGE(t, entact::test::why(t));
  BOOST_TEST(t->writes.size() == 2u);
  BOOST_TEST(t->writes[0].base_version == a);
  BOOST_TEST(t->writes[1].base_version == no_version);
  BOOST_TEST(t->created_ms > 0);
  // Prepared, not applied.
  BOOST_TEST(read("acct/a").value == "100");
  BOOST_TEST(!read("acct/b").exists());
  BOOST_TEST(db->prepared().size() == 1u);
  told.clear();
  auto done = db->commit_prepared("t1");
  BOOST_REQUIRE_MESSAGE(done, entact::test::why(done));
  BOOST_REQUIRE(done->size() == 2u);
  BOOST_TEST((*done)[0].version == a + 1);
  BOOST_TEST(read("acct/a").value == "70");
  BOOST_TEST(read("acct/a").version == a + 1);
  BOOST_TEST(read("acct/b").value == "30");
  BOOST_TEST(read("acct/b").version == 1u);
  BOOST_TEST(db->prepared().empty());
  BOOST_TEST(told == *done, "on_commit is told the records");
  // A second commit is refused and writes nothing twice.
  auto again = db->commit_prepared("t1");
  BOOST_TEST(entact::test::code(again) == errc::unknown_transaction);
  BOOST_TEST(read("acct/a").version == a + 1);
  BOOST_TEST(read("acct/b").version == 1u);
  BOOST_TEST(code_of(db->abort_prepared("t1")) == errc::unknown_transaction);
}

BOOST_AUTO_TEST_CASE(prepare_then_abort_changes_nothing) {
  auto a = create("acct/a", "100");
  BOOST_REQUIRE(db->prepare(
    prepare_of("t1", {write_op::erase("acct/a", a),
                      write_op::create("acct/b", "1")})));
  BOOST_TEST(!db->abort_prepared("t1"));
  BOOST_TEST(db->prepared().empty());
  BOOST_TEST(read("acct/a").value == "100");
  BOOST_TEST(read("acct/a").version == a);
  BOOST_TEST(!read("acct/b").exists());
  BOOST_TEST(code_of(db->abort_prepared("t1")) == errc::unknown_transaction);
  auto late = db->commit_prepared("t1");
  BOOST_TEST(entact::test::code(late) == errc::unknown_transaction);
  BOOST_TEST(read("acct/a").version == a);
  // The ids are free again.
  BOOST_CHECK(db->commit({write_op::update("acct/a", a, "99")}));
}

BOOST_AUTO_TEST_CASE(a_stale_prepare_is_a_conflict_and_writes_nothing) {
  auto a = create("acct/a", "100");
  BOOST_REQUIRE(db->commit({write_op::update("acct/a", a, "90")}));
  auto t = db->prepare(prepare_of("t1", {write_op::create("acct/b", "1"),
                                         write_op::update("acct/a", a, "0")}));
  BOOST_TEST(entact::test::code(t) == errc::conflict);
  auto missing = db->prepare(
    prepare_of("t2", {write_op::update("acct/none", 0, "x")}));
  BOOST_TEST(entact::test::code(missing) == errc::not_found);
  BOOST_TEST(db->prepared().empty());
  BOOST_TEST(!read("acct/b").exists());
  BOOST_TEST(raw_value(*db, prepared_key("t1")).empty());
  // Not even the format entry moved: nothing was written.
  BOOST_TEST(raw_value(*db, format_key())
             == std::string(1, static_cast<char>(format_version)));
}

BOOST_AUTO_TEST_CASE(prepared_ids_refuse_other_writes_until_resolved) {
  auto a = create("acct/a", "100");
  create("acct/c", "5");
  BOOST_REQUIRE(db->prepare(
    prepare_of("t1", {write_op::update("acct/a", a, "70")})));
  auto direct = db->commit({write_op::update("acct/a", a, "1")});
  BOOST_TEST(entact::test::code(direct) == errc::lock_timeout);
  auto blind = db->commit({write_op::unconditional("acct/a", "1")});
  BOOST_TEST(entact::test::code(blind) == errc::lock_timeout);
  auto other = db->prepare(
    prepare_of("t2", {write_op::update("acct/a", a, "2")}));
  BOOST_TEST(entact::test::code(other) == errc::lock_timeout);
  // A batch touching a held id is refused whole; other ids are not held.
  auto mixed = db->commit({write_op::unconditional("acct/c", "6"),
                           write_op::unconditional("acct/a", "6")});
  BOOST_TEST(entact::test::code(mixed) == errc::lock_timeout);
  BOOST_TEST(read("acct/c").value == "5");
  BOOST_CHECK(db->commit({write_op::unconditional("acct/c", "7")}));
  BOOST_REQUIRE(db->commit_prepared("t1"));
  BOOST_TEST(read("acct/a").value == "70");
  BOOST_CHECK(db->commit({write_op::update("acct/a", a + 1, "71")}));
}

// A prepare waits its turn in the commit queue: a batch queued before it is
// decided first, so the prepare is decided against that batch's write.
BOOST_AUTO_TEST_CASE(a_prepare_sees_the_batches_queued_before_it) {
  auto a = create("acct/a", "100");
  std::promise<caf::expected<std::vector<record>>> first;
  db->commit_async({write_op::update("acct/a", a, "90")},
                   [&](caf::expected<std::vector<record>> r) {
                     first.set_value(std::move(r));
                   });
  auto t = db->prepare(
    prepare_of("t1", {write_op::update("acct/a", a + 1, "80")}));
  BOOST_TEST(static_cast<bool>(first.get_future().get()));
  BOOST_REQUIRE_MESSAGE(t, entact::test::why(t));
  BOOST_TEST(t->writes[0].base_version == a + 1);
}

// Normal commits hammer one id while prepared transactions commit on it:
// each prepared commit lands on exactly the version it prepared on (no
// write slips in between), and every write is counted once in the final
// version.
BOOST_AUTO_TEST_CASE(normal_commits_never_slip_between_prepare_and_commit) {
  create("acct/x", "0");
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> applied{0};
  // One write per attempt of the loop below, racing its read and prepare:
  // a writer free to run flat out wins every race on a busy machine (the
  // loop then never prepares), so it waits for the loop's next attempt.
  std::atomic<int> attempt{0};
  std::thread writer{[&] {
    while (!stop) {
      auto seen = attempt.load();
      if (db->commit({write_op::unconditional("acct/x", "w")}))
        ++applied;
      while (!stop && attempt.load() == seen)
        std::this_thread::yield();
    }
  }};
  int rounds = 0;
  int attempts = 0;
  for (int i = 0; i < 10000 && rounds < 30; ++i, ++attempts) {
    ++attempt;
    auto base = read("acct/x").version;
    auto txn = "t" + std::to_string(i);
    auto t = db->prepare(
      prepare_of(txn, {write_op::update("acct/x", base, "p")}));
    if (!t) { // the writer moved on since the read: retry
      BOOST_TEST(entact::test::code(t) == errc::conflict);
      continue;
    }
    auto done = db->commit_prepared(txn);
    BOOST_REQUIRE_MESSAGE(done, entact::test::why(done));
    BOOST_TEST(done->front().version == base + 1);
    ++rounds;
  }
  stop = true;
  writer.join();
  BOOST_TEST_MESSAGE(attempts << " prepares for " << rounds << " rounds");
  BOOST_TEST(rounds == 30);
  BOOST_TEST(read("acct/x").version == 1 + applied.load() + rounds);
}

// The committer remembers versions it wrote (known_versions): after a
// commit-prepared it must know the new ones, or a writer at the new
// version would be refused and one at the old version let through.
BOOST_AUTO_TEST_CASE(the_committer_knows_the_versions_a_prepared_commit_wrote) {
  auto a = create("acct/a", "100");
  BOOST_REQUIRE(db->commit({write_op::update("acct/a", a, "101")})); // known
  BOOST_REQUIRE(db->prepare(
    prepare_of("t1", {write_op::update("acct/a", a + 1, "70")})));
  BOOST_REQUIRE(db->commit_prepared("t1"));
  auto stale = db->commit({write_op::update("acct/a", a + 1, "stale")});
  BOOST_TEST(entact::test::code(stale) == errc::conflict);
  auto known_before = db->stats().ids_known;
  auto fresh = db->commit({write_op::update("acct/a", a + 2, "fresh")});
  BOOST_TEST(static_cast<bool>(fresh));
  BOOST_TEST(db->stats().ids_known > known_before, "taken from what it knew");
  BOOST_TEST(read("acct/a").value == "fresh");
}

BOOST_AUTO_TEST_CASE(a_resent_prepare_returns_the_record_already_prepared) {
  auto a = create("acct/a", "100");
  auto req = prepare_of("t1", {write_op::update("acct/a", a, "70")});
  auto first = db->prepare(req);
  BOOST_REQUIRE(first);
  auto again = db->prepare(req);
  BOOST_REQUIRE(again);
  BOOST_TEST(again->created_ms == first->created_ms);
  BOOST_TEST(db->prepared().size() == 1u);
  auto other = db->prepare(
    prepare_of("t1", {write_op::update("acct/a", a, "71")}));
  BOOST_TEST(entact::test::code(other) == errc::invalid_argument);
}

BOOST_AUTO_TEST_CASE(bad_input_and_bounds_are_refused_writing_nothing) {
  opts.max_prepared = 1;
  opts.max_prepared_writes = 2;
  opts.max_prepared_bytes = 512;
  reopen();
  auto code_for = [&](prepare_request req) {
    return entact::test::code(db->prepare(std::move(req)));
  };
  auto one = std::vector<write_op>{write_op::create("acct/a", "1")};
  BOOST_TEST(code_for(prepare_of("", one)) == errc::invalid_argument);
  BOOST_TEST(code_for(prepare_of("t 1", one)) == errc::invalid_argument);
  BOOST_TEST(code_for(prepare_of(std::string(65, 't'), one))
             == errc::too_large);
  BOOST_TEST(code_for(prepare_of("t1", {})) == errc::invalid_argument);
  BOOST_TEST(code_for(prepare_of("t1", {write_op::create("bad id", "1")}))
             == errc::invalid_argument);
  BOOST_TEST(code_for(prepare_of("t1", {write_op::create("a/1", "1"),
                                        write_op::create("a/2", "1"),
                                        write_op::create("a/3", "1")}))
             == errc::too_large);
  auto big = write_op::create("a/1", std::string(600, 'v'));
  BOOST_TEST(code_for(prepare_of("t1", {big})) == errc::too_large);
  auto many = prepare_of("t1", one);
  many.participants.assign(max_participants + 1, "node");
  BOOST_TEST(code_for(many) == errc::too_large);
  auto unnamed = prepare_of("t1", one);
  unnamed.decision_holder.clear();
  BOOST_TEST(code_for(unnamed) == errc::invalid_argument);
  auto long_name = prepare_of("t1", one);
  long_name.participants[0] = std::string(max_participant_bytes + 1, 'n');
  BOOST_TEST(code_for(long_name) == errc::too_large);
  BOOST_TEST(db->prepared().empty());
  BOOST_TEST(raw_value(*db, format_key())
             == std::string(1, static_cast<char>(format_version)));
  // Past the count bound.
  BOOST_REQUIRE(db->prepare(prepare_of("t1", one)));
  BOOST_TEST(code_for(prepare_of("t2", {write_op::create("acct/z", "1")}))
             == errc::too_large);
  BOOST_TEST(db->prepared().size() == 1u);
  BOOST_TEST(code_of(db->abort_prepared("")) == errc::invalid_argument);
  BOOST_TEST(entact::test::code(db->commit_prepared(std::string(65, 't')))
             == errc::too_large);
}

// Prepared records stay in memory until resolved: their total is bounded.
BOOST_AUTO_TEST_CASE(prepared_records_together_are_bounded) {
  opts.max_prepared_bytes = 400;
  reopen();
  auto value = std::string(200, 'v');
  BOOST_REQUIRE(
    db->prepare(prepare_of("t1", {write_op::create("a/1", value)})));
  auto second = db->prepare(prepare_of("t2", {write_op::create("a/2", value)}));
  BOOST_TEST(entact::test::code(second) == errc::too_large);
  BOOST_REQUIRE(!db->abort_prepared("t1"));
  BOOST_TEST(static_cast<bool>(
    db->prepare(prepare_of("t2", {write_op::create("a/2", value)}))));
}

BOOST_AUTO_TEST_CASE(a_prepare_marks_the_store_as_holding_2pc_records) {
  BOOST_REQUIRE(db->prepare(prepare_of("t1", {write_op::create("a/1", "1")})));
  BOOST_TEST(raw_value(*db, format_key())
             == std::string(1, static_cast<char>(twopc_format_version)));
  BOOST_TEST(!raw_value(*db, prepared_key("t1")).empty());
  reopen(); // this build opens it
  BOOST_TEST(db->prepared().size() == 1u);
}

BOOST_AUTO_TEST_CASE(decisions_round_trip_and_never_change) {
  BOOST_TEST(db->decision_of("t1") == decision::none);
  BOOST_TEST(!db->record_decision("t1", decision::commit, {"node-a", "b"}));
  BOOST_TEST(db->decision_of("t1") == decision::commit);
  BOOST_TEST(!db->record_decision("t1", decision::commit, {"node-a", "b"}));
  auto flip = db->record_decision("t1", decision::abort, {"node-a"});
  BOOST_TEST(code_of(flip) == errc::invalid_argument);
  BOOST_TEST(!db->record_decision("t2", decision::abort, {"node-a"}));
  reopen();
  BOOST_TEST(db->decision_of("t1") == decision::commit);
  BOOST_TEST(db->decision_of("t2") == decision::abort);
  BOOST_TEST(!db->forget_decision("t1"));
  BOOST_TEST(db->decision_of("t1") == decision::none);
  BOOST_TEST(code_of(db->forget_decision("t1")) == errc::unknown_transaction);
  BOOST_TEST(code_of(db->record_decision("t3", decision::none, {"a"}))
             == errc::invalid_argument);
  BOOST_TEST(code_of(db->record_decision("t3", decision::commit, {}))
             == errc::invalid_argument);
  BOOST_TEST(entact::test::code(db->decision_of("t 3"))
             == errc::invalid_argument);
}

BOOST_AUTO_TEST_CASE(decisions_are_listed_page_by_page_and_counted) {
  for (auto name : {"t3", "t1", "t2"})
    BOOST_REQUIRE(!db->record_decision(name, decision::commit, {"a", "b"}));
  BOOST_REQUIRE(!db->record_decision("t4", decision::abort, {"a"}));
  BOOST_REQUIRE(create("acct/a", "1") > 0); // entity keys are not listed
  BOOST_TEST(*db->decision_count() == 4u);
  auto first = db->decisions("", 3);
  BOOST_REQUIRE(first);
  BOOST_REQUIRE(first->size() == 3u);
  BOOST_TEST((*first)[0].txn == "t1");
  BOOST_TEST((*first)[2].txn == "t3");
  BOOST_TEST((*first)[0].outcome == decision::commit);
  BOOST_TEST(((*first)[0].participants == std::vector<std::string>{"a", "b"}));
  BOOST_TEST((*first)[0].created_ms > 0);
  auto rest = db->decisions("t3", 3);
  BOOST_REQUIRE(rest);
  BOOST_REQUIRE(rest->size() == 1u);
  BOOST_TEST(rest->front().txn == "t4");
  BOOST_TEST(rest->front().outcome == decision::abort);
  BOOST_TEST(db->decisions("t4", 3)->empty());
  BOOST_TEST(db->decisions("t", 10)->size() == 4u); // "t" < "t1"
  BOOST_TEST(code_of(db->decisions("", 0).error()) == errc::invalid_argument);
  BOOST_TEST(code_of(db->decisions("t 1", 1).error())
             == errc::invalid_argument);
  BOOST_REQUIRE(!db->forget_decision("t2"));
  BOOST_TEST(*db->decision_count() == 3u);
}

BOOST_AUTO_TEST_CASE(the_primary_commits_and_decides_in_one_write) {
  auto a = create("acct/a", "100");
  BOOST_REQUIRE(db->prepare(
    prepare_of("t1", {write_op::update("acct/a", a, "70")})));
  auto done = db->commit_prepared_as_decision("t1");
  BOOST_REQUIRE_MESSAGE(done, entact::test::why(done));
  BOOST_TEST(db->decision_of("t1") == decision::commit);
  BOOST_TEST(read("acct/a").value == "70");
  reopen();
  BOOST_TEST(db->decision_of("t1") == decision::commit);
  BOOST_TEST(db->prepared().empty());
  BOOST_TEST(read("acct/a").version == a + 1);
  // A transaction decided abort cannot be committed as decided.
  BOOST_REQUIRE(db->prepare(
    prepare_of("t2", {write_op::update("acct/a", a + 1, "0")})));
  BOOST_REQUIRE(!db->record_decision("t2", decision::abort, {"node-a"}));
  auto refused = db->commit_prepared_as_decision("t2");
  BOOST_TEST(entact::test::code(refused) == errc::invalid_argument);
  BOOST_TEST(read("acct/a").value == "70");
  BOOST_TEST(db->prepared().size() == 1u);
  BOOST_TEST(db->decision_of("t2") == decision::abort);
}

BOOST_AUTO_TEST_CASE(two_pc_calls_on_a_closed_store_are_refused) {
  db->close();
  auto t = db->prepare(prepare_of("t1", {write_op::create("a/1", "1")}));
  BOOST_TEST(entact::test::code(t) == errc::closed);
  BOOST_TEST(code_of(db->record_decision("t1", decision::commit, {"a"}))
             == errc::closed);
}

BOOST_AUTO_TEST_SUITE_END()
