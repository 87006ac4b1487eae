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

#include <caf/actor_cast.hpp>

#include "entact/client.hpp"
#include "support/remote_client.hpp"
#include "support/server_process.hpp"
#include "support/twopc_helpers.hpp"
#include "support/wait_until.hpp"
#include "support/zookeeper_process.hpp"

using namespace entact;
using namespace std::chrono_literals;
using entact::test::participant;
using entact::test::prepare_as;
using entact::test::prepare_write;
using entact::test::prepared_names;
using entact::test::value_of;
using entact::test::wait_until;
using entact::test::why;
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

// Two entactd: the participant is SIGKILLed after the decision, before it
// hears the commit; the holder's sweep asks it over the network
// (`prepared_dialer`) and forgets only once it has committed.
BOOST_AUTO_TEST_CASE(an_entactd_holder_forgets_once_its_participant_committed) {
  auto hp = test::free_loopback_port();
  auto mp = test::free_loopback_port();
  auto h_name = "127.0.0.1:" + std::to_string(hp);
  auto m_name = "127.0.0.1:" + std::to_string(mp);
  test::server_process holder{{"--port=" + std::to_string(hp),
                               "--twopc-name=" + h_name,
                               "--twopc-forget-after-ms=50"}};
  test::server_process member{{"--port=" + std::to_string(mp),
                               "--twopc-name=" + m_name,
                               "--twopc-ask-after-ms=0"}};
  auto at_holder = t::connect_or_throw(holder.port());
  auto at_member = t::connect_or_throw(member.port());
  txn_prepare p{"r1", {h_name, m_name}, h_name};
  auto prepare_at = [&](client& db, const entity_id& id) {
    BOOST_REQUIRE(db.create(id, "100"));
    t::txn_client c{db.system(),
                    caf::actor_cast<coordinator_api>(db.server())};
    BOOST_REQUIRE(c.begin());
    BOOST_REQUIRE(c.lock({id}));
    auto vote = db.prepare(c.handle.id, {{id, false, "50"}}, p);
    BOOST_REQUIRE_MESSAGE(vote && *vote, why(vote));
  };
  prepare_at(*at_member, "acct/2");
  prepare_at(*at_holder, "acct/1");
  BOOST_REQUIRE(at_holder->commit_prepared("r1", true));
  at_member.reset();
  member.crash();
  // While it is down the decision stays (its sweep cannot reach it).
  BOOST_CHECK_EQUAL(*at_holder->decision_of("r1"), twopc_outcome::commit);
  member.restart();
  at_member = t::connect_or_throw(member.port());
  BOOST_REQUIRE(wait_until(
    [&] {
      auto list = at_member->prepared_transactions();
      return list && list->empty();
    },
    10s));
  BOOST_CHECK_EQUAL(at_member->get("acct/2")->value, "50");
  // Forgotten: the holder now presumes abort for the name (recording
  // that), which no participant can ask any more.
  BOOST_REQUIRE(wait_until(
    [&] {
      auto d = at_holder->decision_of("r1");
      return d && *d == twopc_outcome::abort;
    },
    10s));
  BOOST_CHECK_EQUAL(at_holder->get("acct/1")->value, "50");
  BOOST_CHECK_EQUAL(at_member->get("acct/2")->value, "50");
}
