// A decision holder deletes a commit decision the coordinator never forgot
// (README, "Two-phase commit: participant", the sweep): only once no
// participant holds the transaction prepared any more -- never while one
// does or cannot be asked, since a participant still prepared that asked
// after the forget would be told "presumed abort" and undo a commit.

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "support/twopc_helpers.hpp"
#include "support/wait_until.hpp"

using namespace entact;
using namespace std::chrono_literals;
using entact::test::participant;
using entact::test::prepare_as;
using entact::test::prepare_write;
using entact::test::prepared_names;
using entact::test::value_of;
using entact::test::wait_until;
namespace t = entact::test;

namespace {

/// Participant B as holder A's `twopc_check_prepared` reaches it: the
/// real engine while it is open, unreachable while it is closed. Shared
/// with the hook, which may outlive the test's locals.
struct link_to_b {
  std::mutex mtx;
  engine* b = nullptr;
  /// Answers "still prepared" given.
  std::atomic<int> prepared_answers{0};

  caf::expected<bool> holds(const std::string& txn) {
    std::lock_guard<std::mutex> guard{mtx};
    if (b == nullptr)
      return make_error(errc::unreachable, "participant B is down");
    auto list = b->prepared_transactions();
    if (!list)
      return std::move(list.error());
    bool held = std::any_of(list->begin(), list->end(),
                            [&](const prepared_info& p) { return p.name == txn; });
    if (held)
      ++prepared_answers;
    return held;
  }

  void set(engine* e) {
    std::lock_guard<std::mutex> guard{mtx};
    b = e;
  }
};

struct holder_sweeps {
  participant a{"A"};
  participant b{"B"};
  std::shared_ptr<link_to_b> link = std::make_shared<link_to_b>();

  holder_sweeps() {
    a.opts.twopc_check_prepared
      = [l = link](const std::string& who, const std::string& txn)
      -> caf::expected<bool> {
      if (who != "B")
        return make_error(errc::invalid_argument, "asked " + who);
      return l->holds(txn);
    };
    a.opts.twopc_forget_after = 50ms;
    a.opts.twopc_ask_backoff = 10ms;
    a.reopen();
    link->set(&b.db());
    if (!a.db().create("acct/1", "100") || !b.db().create("acct/2", "100"))
      throw std::runtime_error("setup failed");
  }

  ~holder_sweeps() {
    link->set(nullptr);
  }

  /// Prepares `name` at B and A, then commits it at A as the decision
  /// (the commit point); B is not told.
  void decide(const std::string& name) {
    BOOST_REQUIRE(prepare_write(b.db(), "acct/2", "110", prepare_as(name)));
    BOOST_REQUIRE(prepare_write(a.db(), "acct/1", "90", prepare_as(name)));
    BOOST_REQUIRE(t::commit_prepared(a.db(), name, true));
  }

  decision_stats stats() {
    auto s = a.db().decision_stats();
    if (!s)
      throw std::runtime_error("decision_stats: " + to_string(s.error()));
    return *s;
  }

  /// Waits until A's sweep has asked about its decisions `n` more times.
  void wait_checks(uint64_t n) {
    auto until = stats().checks + n;
    BOOST_REQUIRE(wait_until([&] { return stats().checks >= until; }, 10s));
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(twopc_forget, holder_sweeps)

BOOST_AUTO_TEST_CASE(a_decision_stays_while_its_participant_is_down) {
  decide("f1");
  // B crashes before it hears the commit: A cannot ask it.
  link->set(nullptr);
  b.eng.reset();
  wait_checks(5);
  auto s = stats();
  BOOST_CHECK_EQUAL(s.kept, 1u);
  BOOST_CHECK_EQUAL(s.forgotten, 0u);
  BOOST_CHECK(s.sweeps >= 5u);
  BOOST_CHECK_EQUAL(*t::decision_of(a.db(), "f1"), twopc_outcome::commit);
  // B restarts, asks A and commits; only then may A forget.
  engine* holder = &a.db();
  b.opts.twopc_ask = [holder](const std::string&, const std::string& txn) {
    return t::decision_of(*holder, txn);
  };
  b.opts.twopc_ask_after = 0ms;
  b.opts.twopc_ask_backoff = 10ms;
  b.reopen();
  link->set(&b.db());
  BOOST_REQUIRE(wait_until([&] { return stats().kept == 0; }, 10s));
  BOOST_CHECK(prepared_names(b.db()).empty());
  BOOST_CHECK_EQUAL(stats().forgotten, 1u);
  // Committed at both: had A forgotten first, B would have been told
  // "presumed abort" (and A would keep that abort decision).
  BOOST_CHECK_EQUAL(value_of(b.db(), "acct/2"), "110");
  BOOST_CHECK_EQUAL(value_of(a.db(), "acct/1"), "90");
}

BOOST_AUTO_TEST_CASE(a_participant_still_prepared_keeps_the_decision) {
  decide("f2");
  // B is up and answers, but holds f2 prepared (it has no hook to ask A).
  BOOST_REQUIRE(wait_until([&] { return link->prepared_answers >= 5; }, 10s));
  auto s = stats();
  BOOST_CHECK_EQUAL(s.kept, 1u);
  BOOST_CHECK_EQUAL(s.forgotten, 0u);
  BOOST_CHECK(prepared_names(b.db()) == std::vector<std::string>{"f2"});
  BOOST_CHECK_EQUAL(*t::decision_of(a.db(), "f2"), twopc_outcome::commit);
  // The coordinator's late commit reaches B: now A forgets.
  BOOST_REQUIRE(t::commit_prepared(b.db(), "f2", false));
  BOOST_REQUIRE(wait_until([&] { return stats().kept == 0; }, 10s));
  BOOST_CHECK_EQUAL(stats().forgotten, 1u);
  BOOST_CHECK_EQUAL(value_of(b.db(), "acct/2"), "110");
}

BOOST_AUTO_TEST_CASE(an_abort_decision_and_a_young_one_are_not_swept) {
  a.opts.twopc_forget_after = 1h;
  a.reopen();
  decide("f3");
  // Presumed abort of a name A never saw: an abort decision.
  BOOST_REQUIRE_EQUAL(*t::decision_of(a.db(), "f4"), twopc_outcome::abort);
  BOOST_REQUIRE(t::commit_prepared(b.db(), "f3", false));
  auto sweeps = stats().sweeps;
  BOOST_REQUIRE(wait_until([&] { return stats().sweeps >= sweeps + 3; }, 10s));
  auto s = stats();
  BOOST_CHECK_EQUAL(s.kept, 2u);
  BOOST_CHECK_EQUAL(s.checks, 0u);
  BOOST_CHECK_EQUAL(s.forgotten, 0u);
}

BOOST_AUTO_TEST_SUITE_END()
