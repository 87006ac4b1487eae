// A remote coordinator drives a real entactd as a two-phase-commit
// participant through `entact::client` (README, "Two-phase commit:
// participant"): prepare, the prepared list, reads in doubt, a SIGKILL and
// restart with the transaction still prepared and held, the commit as
// decision, the decision query and forget; a holder entactd's sweep
// forgetting a decision once its participant entactd committed it.

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <caf/actor_cast.hpp>

#include "entact/client.hpp"
#include "support/print.hpp"
#include "support/remote_client.hpp"
#include "support/run_command.hpp"
#include "support/server_process.hpp"
#include "support/twopc_helpers.hpp"
#include "support/wait_until.hpp"
#include "support/zookeeper_process.hpp" // free_loopback_port

using namespace entact;
using namespace entact::test;
using namespace std::chrono_literals;

namespace {

/// Creates `id` at `db` with 100, then writes 50 to it under a lock and
/// votes yes to `p` for it.
void prepare_at(client& db, const entity_id& id, const txn_prepare& p) {
  BOOST_REQUIRE(db.create(id, "100"));
  txn_client c{db.system(), caf::actor_cast<coordinator_api>(db.server())};
  BOOST_REQUIRE(c.begin());
  BOOST_REQUIRE(c.lock({id}));
  auto vote = db.prepare(c.handle.id, {{id, false, "50"}}, p);
  BOOST_REQUIRE_MESSAGE(vote && *vote, why(vote));
}

/// True once `db`'s server holds no transaction prepared, within `limit`.
bool none_prepared_within(client& db, std::chrono::seconds limit) {
  return wait_until(
    [&] {
      auto list = db.prepared_transactions();
      return list && list->empty();
    },
    limit);
}

} // namespace

BOOST_AUTO_TEST_CASE(a_remote_coordinator_prepares_and_commits_at_entactd) {
  test::server_process server;
  auto db = connect_or_throw(server.port());
  BOOST_REQUIRE(db->create("acct/1", "100"));
  caf::expected<bool> vote = false;
  {
    txn_client c{db->system(), caf::actor_cast<coordinator_api>(db->server())};
    BOOST_REQUIRE(c.begin());
    BOOST_REQUIRE(c.lock({"acct/1"}));
    vote = db->prepare(c.handle.id, {{"acct/1", false, "90"}},
                       {"r1", {"node-a", "node-b"}, "node-a"});
  }
  BOOST_REQUIRE_MESSAGE(vote && *vote, why(vote));
  auto list = db->prepared_transactions();
  BOOST_REQUIRE(list);
  BOOST_REQUIRE_EQUAL(list->size(), 1u);
  BOOST_CHECK_EQUAL(list->front().name, "r1");
  BOOST_CHECK_EQUAL(list->front().decision_holder, "node-a");
  BOOST_CHECK_EQUAL(code(db->get("acct/1")), errc::in_doubt);
  BOOST_CHECK_EQUAL(code(db->read("acct/1")), errc::in_doubt);
  // Killed and restarted: still prepared, still held.
  db.reset();
  server.crash();
  server.restart();
  db = connect_or_throw(server.port());
  BOOST_CHECK_EQUAL(code(db->update("acct/1", 1, "1")), errc::lock_timeout);
  list = db->prepared_transactions();
  BOOST_REQUIRE(list);
  BOOST_CHECK_EQUAL(list->size(), 1u);
  // The decision, then the reads see it.
  auto recs = db->commit_prepared("r1", true);
  BOOST_REQUIRE_MESSAGE(recs, why(recs));
  BOOST_REQUIRE_EQUAL(recs->size(), 1u);
  BOOST_CHECK_EQUAL(recs->front().value, "90");
  BOOST_CHECK_EQUAL(db->get("acct/1")->value, "90");
  auto d = db->decision_of("r1");
  BOOST_REQUIRE(d);
  BOOST_CHECK(*d == twopc_outcome::commit);
  BOOST_CHECK(*db->forget_decision("r1"));
  // Presumed abort for a name never seen; an abort of it is idempotent.
  d = db->decision_of("never");
  BOOST_REQUIRE(d);
  BOOST_CHECK(*d == twopc_outcome::abort);
  BOOST_CHECK(*db->abort_prepared("never"));
  BOOST_CHECK(db->prepared_transactions()->empty());
}

// entactd resolves a prepared transaction of another holder by asking it
// over the network (`--twopc-name`, the dialer of decision_dialer.hpp).
BOOST_AUTO_TEST_CASE(a_restarted_entactd_asks_the_holder_over_the_network) {
  test::server_process holder;
  test::server_process member{{"--twopc-name=member",
                               "--twopc-ask-after-ms=0"}};
  auto address = "127.0.0.1:" + std::to_string(holder.port());
  auto at_holder = connect_or_throw(holder.port());
  auto at_member = connect_or_throw(member.port());
  txn_prepare p{"r2", {address, "member"}, address};
  prepare_at(*at_holder, "acct/1", p);
  prepare_at(*at_member, "acct/2", p);
  BOOST_REQUIRE(at_holder->commit_prepared("r2", true));
  // The member dies before it hears the commit, and learns it itself.
  at_member.reset();
  member.crash();
  member.restart();
  at_member = connect_or_throw(member.port());
  BOOST_REQUIRE(none_prepared_within(*at_member, 20s));
  BOOST_CHECK_EQUAL(at_member->get("acct/2")->value, "50");
  BOOST_CHECK_EQUAL(at_holder->get("acct/1")->value, "50");
}

// Two entactd: the participant is SIGKILLed after the decision, before it
// hears the commit; the holder's sweep asks it over the network
// (`prepared_dialer`) and forgets only once it has committed.
BOOST_AUTO_TEST_CASE(an_entactd_holder_forgets_once_its_participant_committed) {
  auto hp = free_loopback_port();
  auto mp = free_loopback_port();
  while (mp == hp)
    mp = free_loopback_port();
  auto h_name = "127.0.0.1:" + std::to_string(hp);
  auto m_name = "127.0.0.1:" + std::to_string(mp);
  server_process holder{{"--port=" + std::to_string(hp),
                          "--twopc-name=" + h_name,
                          "--twopc-forget-after-ms=50"}};
  server_process member{{"--port=" + std::to_string(mp),
                          "--twopc-name=" + m_name,
                          "--twopc-ask-after-ms=0"}};
  auto at_holder = connect_or_throw(holder.port());
  auto at_member = connect_or_throw(member.port());
  txn_prepare p{"r1", {h_name, m_name}, h_name};
  prepare_at(*at_member, "acct/2", p);
  prepare_at(*at_holder, "acct/1", p);
  BOOST_REQUIRE(at_holder->commit_prepared("r1", true));
  at_member.reset();
  member.crash();
  // While it is down the decision stays (its sweep cannot reach it).
  BOOST_CHECK_EQUAL(*at_holder->decision_of("r1"), twopc_outcome::commit);
  member.restart();
  at_member = connect_or_throw(member.port());
  BOOST_REQUIRE(none_prepared_within(*at_member, 10s));
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

BOOST_AUTO_TEST_CASE(bad_twopc_options_are_refused_at_start) {
  for (auto& arg : {std::string{"--twopc-decision-wait-ms=0"},
                    std::string{"--twopc-test-crash-at=bogus"}}) {
    temp_dir dir;
    auto r = run_command({ENTACT_ENTACTD_PATH, "--data-dir=" + dir.sub("d"),
                          "--port=0", arg},
                         30s);
    BOOST_TEST(r.exit_code == 64, arg << ": " << r.err);
    BOOST_TEST(r.err.find("bad configuration") != std::string::npos, r.err);
    BOOST_TEST(!std::filesystem::exists(dir.sub("d")), arg << ": nothing created");
  }
}
