#include <boost/test/unit_test.hpp>

#include <chrono>

#include "support/twopc_helpers.hpp"
#include "support/wait_until.hpp"

// An engine as a two-phase-commit participant and decision holder (README,
// "Two-phase commit: participant"): two engines on their own RocksDB
// directories, A holding the decision, driven by message as a coordinator
// would.

using namespace entact;
using namespace std::chrono_literals;
using entact::test::code;
using entact::test::participant;
using entact::test::prepare_as;
using entact::test::prepare_write;
using entact::test::prepared_names;
using entact::test::txn_client;
using entact::test::txn_opts;
using entact::test::value_of;
namespace t = entact::test;

namespace {

struct two_participants {
  participant a{"A"};
  participant b{"B"};

  two_participants() {
    if (!a.db().create("acct/1", "100") || !b.db().create("acct/2", "100"))
      throw std::runtime_error("setup failed");
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(twopc_participant, two_participants)

BOOST_AUTO_TEST_CASE(prepared_at_both_then_committed_everywhere) {
  BOOST_REQUIRE(prepare_write(a.db(), "acct/1", "90", prepare_as("t1")));
  BOOST_REQUIRE(prepare_write(b.db(), "acct/2", "110", prepare_as("t1")));
  BOOST_CHECK_EQUAL(prepared_names(a.db()).size(), 1u);
  BOOST_CHECK_EQUAL(prepared_names(b.db()).size(), 1u);
  // Undecided and young: the holder says so, and decides nothing.
  BOOST_CHECK_EQUAL(*t::decision_of(a.db(), "t1"), twopc_outcome::undecided);
  auto at_a = t::commit_prepared(a.db(), "t1", true);
  BOOST_REQUIRE_MESSAGE(at_a, t::why(at_a));
  BOOST_REQUIRE_EQUAL(at_a->size(), 1u);
  BOOST_CHECK_EQUAL((*at_a)[0].value, "90");
  BOOST_CHECK_EQUAL(*t::decision_of(a.db(), "t1"), twopc_outcome::commit);
  auto at_b = t::commit_prepared(b.db(), "t1", false);
  BOOST_REQUIRE_MESSAGE(at_b, t::why(at_b));
  // Reads after the answers see the writes, through entities and storage.
  BOOST_CHECK_EQUAL(value_of(a.db(), "acct/1"), "90");
  BOOST_CHECK_EQUAL(value_of(b.db(), "acct/2"), "110");
  BOOST_CHECK_EQUAL(a.db().read("acct/1")->value, "90");
  BOOST_CHECK(prepared_names(a.db()).empty());
  BOOST_CHECK(prepared_names(b.db()).empty());
  // The locks went with the decision: a plain write works at once.
  BOOST_CHECK(b.db().update("acct/2", (*at_b)[0].version, "111"));
  // A resent commit answers that it is done; the decision is forgotten
  // once every participant applied it.
  auto again = t::commit_prepared(b.db(), "t1", false);
  BOOST_REQUIRE(again);
  BOOST_CHECK(again->empty());
  BOOST_CHECK(*t::by_name<bool>(a.db(), forget_atom::value, "t1"));
  BOOST_CHECK(!*t::by_name<bool>(a.db(), forget_atom::value, "t1"));
}

BOOST_AUTO_TEST_CASE(aborted_everywhere_nothing_written) {
  BOOST_REQUIRE(prepare_write(a.db(), "acct/1", "90", prepare_as("t2")));
  BOOST_REQUIRE(prepare_write(b.db(), "acct/2", "110", prepare_as("t2")));
  BOOST_CHECK(*t::abort_prepared(a.db(), "t2"));
  // The holder recorded the abort: a late commit as decision is refused.
  BOOST_CHECK_EQUAL(*t::decision_of(a.db(), "t2"), twopc_outcome::abort);
  BOOST_CHECK(*t::abort_prepared(b.db(), "t2"));
  BOOST_CHECK(*t::abort_prepared(b.db(), "t2")); // resent: still true
  BOOST_CHECK_EQUAL(code(t::commit_prepared(b.db(), "t2", false)),
                    errc::invalid_argument);
  BOOST_CHECK_EQUAL(value_of(a.db(), "acct/1"), "100");
  BOOST_CHECK_EQUAL(value_of(b.db(), "acct/2"), "100");
  BOOST_CHECK(prepared_names(a.db()).empty());
  auto r = b.db().get("acct/2");
  BOOST_CHECK(b.db().update("acct/2", r->version, "101"));
}

BOOST_AUTO_TEST_CASE(a_stale_prepare_is_refused_and_writes_nothing) {
  txn_client c{a.db()};
  BOOST_REQUIRE(c.begin());
  auto locked = c.lock({"acct/1"});
  BOOST_REQUIRE(locked);
  // An optimistic batch takes no locks: it commits behind the lock's back.
  BOOST_REQUIRE(a.db().apply_batch(
    {write_op::update("acct/1", (*locked)[0].version, "55")}));
  auto vote = c.call<bool>(prepare_atom::value, c.handle.id,
                           std::vector<txn_write>{{"acct/1", false, "90"}},
                           prepare_as("t3"));
  BOOST_CHECK_EQUAL(code(vote), errc::conflict);
  BOOST_CHECK(prepared_names(a.db()).empty());
  BOOST_CHECK_EQUAL(value_of(a.db(), "acct/1"), "55");
  // Ended like a refused commit: the transaction is gone, the lock free.
  BOOST_CHECK_EQUAL(code(c.abort()), errc::unknown_transaction);
  auto r = a.db().get("acct/1");
  BOOST_CHECK(a.db().update("acct/1", r->version, "56"));
  BOOST_CHECK_EQUAL(code(t::commit_prepared(a.db(), "t3", true)),
                    errc::unknown_transaction);
}

BOOST_AUTO_TEST_CASE(bad_prepares_are_refused) {
  // No writes, a bad name, a holder missing: refused, the locks released.
  for (auto p : {txn_prepare{"bad name!", {"A"}, "A"},
                 txn_prepare{"t4", {"A"}, ""}}) {
    auto vote = prepare_write(a.db(), "acct/1", "1", p);
    BOOST_CHECK_EQUAL(code(vote), errc::invalid_argument);
  }
  txn_client c{a.db()};
  BOOST_REQUIRE(c.begin());
  BOOST_REQUIRE(c.lock({"acct/1"}));
  BOOST_CHECK_EQUAL(code(c.call<bool>(prepare_atom::value, c.handle.id,
                                      std::vector<txn_write>{},
                                      prepare_as("t4"))),
                    errc::invalid_argument);
  BOOST_CHECK(prepared_names(a.db()).empty());
  auto r = a.db().get("acct/1");
  BOOST_CHECK(a.db().update("acct/1", r->version, "101"));
}

BOOST_AUTO_TEST_CASE(a_prepared_transaction_outlives_its_lease_and_owner) {
  auto lease = 200ms;
  BOOST_REQUIRE(prepare_write(b.db(), "acct/2", "110", prepare_as("t5"),
                              txn_opts(100ms, lease)));
  // Past the transaction's lease and the entity's margin beyond it (1 s),
  // with its owner gone: still prepared, still held.
  auto past = std::chrono::steady_clock::now() + lease + 1500ms;
  t::wait_until([&] { return std::chrono::steady_clock::now() >= past; },
                10s);
  BOOST_CHECK_EQUAL(prepared_names(b.db()).size(), 1u);
  BOOST_CHECK_EQUAL(code(b.db().update("acct/2", 1, "1")), errc::lock_timeout);
  BOOST_REQUIRE(t::commit_prepared(b.db(), "t5", false));
  BOOST_CHECK_EQUAL(value_of(b.db(), "acct/2"), "110");
}

BOOST_AUTO_TEST_CASE(held_ids_refuse_writes_and_transactions_at_once) {
  BOOST_REQUIRE(prepare_write(b.db(), "acct/2", "110", prepare_as("t6")));
  // Each refusal names why: a wait would have ended otherwise (a write
  // queued behind a lock times out as `timeout`, a lock wait as
  // `lock_timeout` only after its 30 s).
  BOOST_CHECK_EQUAL(code(b.db().update("acct/2", 1, "1")), errc::lock_timeout);
  BOOST_CHECK_EQUAL(code(b.db().modify("acct/2", "add", "1")),
                    errc::lock_timeout);
  BOOST_CHECK_EQUAL(code(b.db().apply_batch({write_op::update("acct/2", 1,
                                                              "1")})),
                    errc::lock_timeout);
  txn_client other{b.db()};
  BOOST_REQUIRE(other.begin(txn_opts(30s, 30s)));
  BOOST_CHECK_EQUAL(code(other.lock({"acct/2"})), errc::aborted);
  BOOST_CHECK_EQUAL(prepared_names(b.db()).size(), 1u);
  BOOST_REQUIRE(t::commit_prepared(b.db(), "t6", false));
  BOOST_CHECK_EQUAL(value_of(b.db(), "acct/2"), "110");
}

BOOST_AUTO_TEST_CASE(its_local_handle_no_longer_ends_it) {
  txn_client c{b.db()};
  BOOST_REQUIRE(c.begin());
  BOOST_REQUIRE(c.lock({"acct/2"}));
  BOOST_REQUIRE(c.call<bool>(prepare_atom::value, c.handle.id,
                             std::vector<txn_write>{{"acct/2", false, "110"}},
                             prepare_as("t10")));
  // Addressed by name from now on: the local id is unknown, and neither
  // an abort nor a resent prepare of it touches the prepared transaction.
  BOOST_CHECK_EQUAL(code(c.abort()), errc::unknown_transaction);
  BOOST_CHECK_EQUAL(code(c.call<bool>(prepare_atom::value, c.handle.id,
                                      std::vector<txn_write>{
                                        {"acct/2", false, "1"}},
                                      prepare_as("t10"))),
                    errc::unknown_transaction);
  BOOST_CHECK_EQUAL(prepared_names(b.db()).size(), 1u);
  BOOST_CHECK_EQUAL(code(b.db().get("acct/2")), errc::in_doubt);
  BOOST_REQUIRE(t::commit_prepared(b.db(), "t10", false));
  BOOST_CHECK_EQUAL(value_of(b.db(), "acct/2"), "110");
}

BOOST_AUTO_TEST_CASE(reads_of_held_ids_answer_in_doubt) {
  BOOST_REQUIRE(prepare_write(b.db(), "acct/2", "110", prepare_as("t7")));
  BOOST_CHECK_EQUAL(code(b.db().get("acct/2")), errc::in_doubt);
  BOOST_CHECK_EQUAL(code(b.db().read("acct/2")), errc::in_doubt);
  BOOST_CHECK_EQUAL(code(b.db().read_many({"acct/2"})), errc::in_doubt);
  // Other ids read as ever.
  BOOST_CHECK(b.db().create("acct/3", "7"));
  BOOST_CHECK_EQUAL(b.db().read_many({"acct/3"})->at(0).value, "7");
  // Once A has decided, B's reads are never older than the decision.
  BOOST_REQUIRE(prepare_write(a.db(), "acct/1", "90", prepare_as("t7")));
  BOOST_REQUIRE(t::commit_prepared(a.db(), "t7", true));
  BOOST_CHECK_EQUAL(code(b.db().get("acct/2")), errc::in_doubt);
  BOOST_REQUIRE(t::commit_prepared(b.db(), "t7", false));
  BOOST_CHECK_EQUAL(value_of(b.db(), "acct/2"), "110");
  BOOST_CHECK_EQUAL(b.db().read("acct/2")->value, "110");
}

BOOST_AUTO_TEST_CASE(presumed_abort_at_the_holder) {
  // Never heard of: abort is recorded and answered...
  BOOST_CHECK_EQUAL(*t::decision_of(a.db(), "ghost"), twopc_outcome::abort);
  // ... so a late prepare of it at the holder is refused, nothing held.
  BOOST_CHECK_EQUAL(code(prepare_write(a.db(), "acct/1", "1",
                                       prepare_as("ghost"))),
                    errc::invalid_argument);
  BOOST_CHECK(prepared_names(a.db()).empty());
  auto r = a.db().get("acct/1");
  BOOST_CHECK(a.db().update("acct/1", r->version, "101"));
  // A bad name is refused, nothing recorded.
  BOOST_CHECK_EQUAL(code(t::decision_of(a.db(), "bad name!")),
                    errc::invalid_argument);
}

BOOST_AUTO_TEST_CASE(the_holder_aborts_what_stays_undecided_too_long) {
  BOOST_REQUIRE(prepare_write(a.db(), "acct/1", "90", prepare_as("t8")));
  BOOST_CHECK_EQUAL(*t::decision_of(a.db(), "t8"), twopc_outcome::undecided);
  // Reopened with a short decision wait (its own resolution off): the
  // next query after the wait aborts it.
  a.opts.twopc_decision_wait = 50ms;
  a.opts.twopc_ask_after = 1h;
  a.reopen();
  BOOST_CHECK_EQUAL(prepared_names(a.db()).size(), 1u);
  BOOST_CHECK(t::wait_until(
    [&] {
      return *t::decision_of(a.db(), "t8") == twopc_outcome::abort;
    },
    10s));
  BOOST_CHECK(prepared_names(a.db()).empty());
  BOOST_CHECK_EQUAL(value_of(a.db(), "acct/1"), "100");
  BOOST_CHECK_EQUAL(code(t::commit_prepared(a.db(), "t8", true)),
                    errc::invalid_argument);
}

BOOST_AUTO_TEST_CASE(the_list_shows_age_participants_and_holder) {
  BOOST_REQUIRE(prepare_write(b.db(), "acct/2", "110", prepare_as("t9")));
  auto list = b.db().prepared_transactions();
  BOOST_REQUIRE(list);
  BOOST_REQUIRE_EQUAL(list->size(), 1u);
  auto& p = list->front();
  BOOST_CHECK_EQUAL(p.name, "t9");
  BOOST_CHECK_EQUAL(p.decision_holder, "A");
  BOOST_CHECK_EQUAL(p.participants.size(), 2u);
  BOOST_REQUIRE_EQUAL(p.ids.size(), 1u);
  BOOST_CHECK_EQUAL(p.ids[0], "acct/2");
  BOOST_CHECK_GE(p.age_ms, 0);
  BOOST_CHECK_GT(p.created_ms, 0);
}

BOOST_AUTO_TEST_SUITE_END()
