#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <memory>

#include "support/twopc_helpers.hpp"
#include "support/wait_until.hpp"

// A participant restarting with prepared transactions (README, "Two-phase
// commit: participant"): their locks are back before any call is served,
// and they resolve through `engine_options::twopc_ask` once the decision
// holder answers -- never by a guess while it does not.

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

/// A decision holder the test controls: unreachable until told what to
/// answer. Shared with the hook, which may outlive the test's locals.
struct scripted_holder {
  std::atomic<int> asks{0};
  std::atomic<int> answer{-1}; // -1: unreachable, else a twopc_outcome
  /// Every ask named the prepared record's holder.
  std::atomic<bool> asked_a{true};
};

auto hook_of(std::shared_ptr<scripted_holder> h) {
  return [h](const std::string& holder,
             const std::string&) -> caf::expected<twopc_outcome> {
    if (holder != "A")
      h->asked_a = false;
    ++h->asks;
    auto x = h->answer.load();
    if (x < 0)
      return make_error(errc::unreachable, "holder " + holder + " is down");
    return static_cast<twopc_outcome>(x);
  };
}

struct restarted_participant {
  participant b{"B"};
  std::shared_ptr<scripted_holder> holder
    = std::make_shared<scripted_holder>();

  restarted_participant() {
    if (!b.db().create("acct/2", "100"))
      throw std::runtime_error("setup failed");
    if (!prepare_write(b.db(), "acct/2", "110", prepare_as("t1")))
      throw std::runtime_error("prepare failed");
    b.opts.twopc_ask = hook_of(holder);
    b.opts.twopc_ask_after = 0ms;
    b.opts.twopc_ask_backoff = 10ms;
    b.reopen();
  }

  bool still_held() {
    return code(b.db().update("acct/2", 1, "1")) == errc::lock_timeout
           && prepared_names(b.db()).size() == 1;
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(twopc_restart, restarted_participant)

BOOST_AUTO_TEST_CASE(locks_are_back_before_anything_is_served) {
  // The very first calls after open meet the held id.
  BOOST_CHECK_EQUAL(code(b.db().update("acct/2", 1, "1")), errc::lock_timeout);
  BOOST_CHECK_EQUAL(code(b.db().get("acct/2")), errc::in_doubt);
  BOOST_CHECK_EQUAL(code(b.db().read("acct/2")), errc::in_doubt);
  txn_client other{b.db()};
  BOOST_REQUIRE(other.begin(txn_opts(30s, 30s)));
  BOOST_CHECK_EQUAL(code(other.lock({"acct/2"})), errc::aborted);
  auto list = b.db().prepared_transactions();
  BOOST_REQUIRE(list);
  BOOST_REQUIRE_EQUAL(list->size(), 1u);
  BOOST_CHECK_EQUAL(list->front().name, "t1");
  BOOST_CHECK_EQUAL(list->front().decision_holder, "A");
}

BOOST_AUTO_TEST_CASE(an_unreachable_holder_keeps_it_locked) {
  BOOST_REQUIRE(t::wait_until([&] { return holder->asks >= 3; }, 20s));
  BOOST_CHECK(still_held());
  BOOST_CHECK(holder->asked_a);
  auto list = b.db().prepared_transactions();
  BOOST_REQUIRE(list && list->size() == 1);
  BOOST_CHECK_GE(list->front().asks, 3u);
  // "Undecided" is no answer either.
  holder->answer = static_cast<int>(twopc_outcome::undecided);
  auto seen = holder->asks.load();
  BOOST_REQUIRE(t::wait_until([&] { return holder->asks >= seen + 2; }, 20s));
  BOOST_CHECK(still_held());
}

BOOST_AUTO_TEST_CASE(it_commits_once_the_holder_answers_commit) {
  BOOST_REQUIRE(t::wait_until([&] { return holder->asks >= 1; }, 20s));
  BOOST_CHECK(still_held());
  holder->answer = static_cast<int>(twopc_outcome::commit);
  BOOST_REQUIRE(t::wait_until(
    [&] { return prepared_names(b.db()).empty(); }, 20s));
  BOOST_CHECK_EQUAL(value_of(b.db(), "acct/2"), "110");
  BOOST_CHECK_EQUAL(b.db().read("acct/2")->value, "110");
  // And it stays committed across another restart.
  b.reopen();
  BOOST_CHECK_EQUAL(value_of(b.db(), "acct/2"), "110");
  BOOST_CHECK(prepared_names(b.db()).empty());
}

BOOST_AUTO_TEST_CASE(it_aborts_once_the_holder_answers_abort) {
  holder->answer = static_cast<int>(twopc_outcome::abort);
  BOOST_REQUIRE(t::wait_until(
    [&] { return prepared_names(b.db()).empty(); }, 20s));
  auto r = b.db().get("acct/2");
  BOOST_REQUIRE(r);
  BOOST_CHECK_EQUAL(r->value, "100");
  BOOST_CHECK(b.db().update("acct/2", r->version, "101"));
}

BOOST_AUTO_TEST_SUITE_END()

namespace {

struct holder_and_participant {
  participant a{"A"};
  participant b{"B"};
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(twopc_restart_with_holder, holder_and_participant)

BOOST_AUTO_TEST_CASE(a_restarted_participant_learns_the_commit_from_the_holder) {
  BOOST_REQUIRE(a.db().create("acct/1", "100"));
  BOOST_REQUIRE(b.db().create("acct/2", "100"));
  BOOST_REQUIRE(prepare_write(a.db(), "acct/1", "90", prepare_as("t2")));
  BOOST_REQUIRE(prepare_write(b.db(), "acct/2", "110", prepare_as("t2")));
  BOOST_REQUIRE(t::commit_prepared(a.db(), "t2", true));
  // B restarts before it hears the commit; it asks A itself.
  engine* holder = &a.db();
  b.opts.twopc_ask = [holder](const std::string&, const std::string& txn) {
    return t::decision_of(*holder, txn);
  };
  b.opts.twopc_ask_after = 0ms;
  b.opts.twopc_ask_backoff = 10ms;
  b.reopen();
  BOOST_REQUIRE(t::wait_until(
    [&] { return prepared_names(b.db()).empty(); }, 20s));
  BOOST_CHECK_EQUAL(value_of(a.db(), "acct/1"), "90");
  BOOST_CHECK_EQUAL(value_of(b.db(), "acct/2"), "110");
}

BOOST_AUTO_TEST_CASE(a_restarted_holder_aborts_its_own_undecided_one) {
  BOOST_REQUIRE(a.db().create("acct/1", "100"));
  BOOST_REQUIRE(prepare_write(a.db(), "acct/1", "90", prepare_as("t3")));
  a.opts.twopc_decision_wait = 50ms;
  a.opts.twopc_ask_after = 0ms;
  a.opts.twopc_ask_backoff = 10ms;
  a.reopen();
  BOOST_REQUIRE(t::wait_until(
    [&] { return prepared_names(a.db()).empty(); }, 20s));
  BOOST_CHECK_EQUAL(value_of(a.db(), "acct/1"), "100");
  BOOST_CHECK_EQUAL(*t::decision_of(a.db(), "t3"), twopc_outcome::abort);
}

BOOST_AUTO_TEST_SUITE_END()
