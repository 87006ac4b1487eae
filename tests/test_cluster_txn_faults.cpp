// The coordinator of a cross-node transaction stopped dead at each step of
// its two-phase commit (README, "Cross-node transactions"): a child process
// (this program again, in coordinator mode) runs one transfer through
// `connect_cluster` and `_exit`s from `cluster_client_options::fault_hook`
// at the step. Presumed abort: killed after preparing one participant, the
// transfer is undone everywhere; killed after the decision or between the
// commits, every participant learns the commit from the holder. The total
// is exact, nothing stays prepared, every account is free afterwards.
// Then a node process (entactd's --twopc-test-crash-at) exits at each step
// it makes durable, and is restarted on its data: the same guarantees.

#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <cstring>

#include "support/cross_node_cluster.hpp"
#include "support/server_process.hpp"

using namespace entact;
using namespace entact::test;
using namespace std::chrono_literals;

namespace {

constexpr int hit_the_step = 42;

/// Coordinator mode (`-- --coordinator-child CLUSTER STEP ID...`): moves 10
/// from the first id to each of the others, and `_exit`s at STEP.
int run_coordinator(const std::string& cluster, const std::string& step,
                    std::vector<std::string> ids) {
  cluster_client_options opts{std::chrono::seconds{20}};
  opts.fault_hook = [step](const std::string& at) {
    if (at == step)
      _exit(hit_the_step);
  };
  auto db = connect_cluster(cluster, opts);
  if (!db)
    return 4;
  auto r = (*db)->transact(ids, [&](transaction& t) -> caf::error {
    for (size_t i = 0; i < ids.size(); ++i) {
      auto v = std::stol(t.get(ids[i])->value);
      auto delta = i == 0 ? -10 * static_cast<long>(ids.size() - 1) : 10;
      if (auto err = t.put(ids[i], std::to_string(v + delta)))
        return err;
    }
    return {};
  });
  return r ? 3 : 5; // the step was never reached
}

/// In coordinator mode, runs it and ends the process before any test.
struct coordinator_child {
  coordinator_child() {
    auto& suite = boost::unit_test::framework::master_test_suite();
    for (int i = 0; i + 2 < suite.argc; ++i)
      if (std::strcmp(suite.argv[i], "--coordinator-child") == 0) {
        std::vector<std::string> ids(suite.argv + i + 3,
                                     suite.argv + suite.argc);
        _exit(run_coordinator(suite.argv[i + 1], suite.argv[i + 2], ids));
      }
  }
};

std::string self_path() {
  char buf[4096];
  auto n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0)
    throw std::runtime_error("cannot read /proc/self/exe");
  return std::string(buf, static_cast<size_t>(n));
}

/// Runs the coordinator of a transfer among `ids` in a child process that
/// stops dead at `step`; its exit code.
int coordinator_killed_at(const cross_node_cluster& c, const std::string& step,
                          const std::vector<std::string>& ids) {
  std::vector<std::string> argv{self_path(), "--", "--coordinator-child",
                                c.address(), step};
  argv.insert(argv.end(), ids.begin(), ids.end());
  child_process child{argv};
  return child.wait_exit_for(60s);
}

/// One account of 100 on each of `nodes`.
std::vector<std::string> accounts_on(cross_node_cluster& c, database& db,
                                     const std::vector<std::string>& nodes) {
  std::vector<std::string> ids;
  for (auto& node : nodes) {
    ids.push_back(c.ids_of(node, 1).front());
    if (!db.create(ids.back(), "100"))
      throw std::runtime_error("cannot create " + ids.back());
  }
  return ids;
}

std::vector<std::string> values_of(database& db,
                                   const std::vector<std::string>& ids) {
  std::vector<std::string> out;
  for (auto& id : ids) {
    auto r = db.get(id);
    out.push_back(r ? r->value : to_string(r.error()));
  }
  return out;
}

using strings = std::vector<std::string>;

} // namespace

// Before the shared ZooKeeper: a child coordinator starts none.
BOOST_TEST_GLOBAL_FIXTURE(coordinator_child);
using test::shared_zookeeper;
BOOST_TEST_GLOBAL_FIXTURE(shared_zookeeper);

BOOST_AUTO_TEST_CASE(killed_after_preparing_one_participant_it_aborts) {
  cross_node_cluster c{"fault_prepared"};
  auto db = c.connect();
  auto ids = accounts_on(c, *db, {"n1", "n2"}); // n1 holds the decision
  BOOST_REQUIRE_EQUAL(coordinator_killed_at(c, "prepared_one", ids),
                      hit_the_step);
  // n2 prepared, n1 never did: n2 asks n1, which presumes abort.
  BOOST_TEST(c.wait_none_prepared());
  BOOST_TEST(values_of(*db, ids) == (strings{"100", "100"}));
  BOOST_TEST(touch_all(*db, ids).engaged());
}

BOOST_AUTO_TEST_CASE(killed_after_the_decision_every_node_commits) {
  cross_node_cluster c{"fault_decided"};
  auto db = c.connect();
  auto ids = accounts_on(c, *db, {"n1", "n3"});
  BOOST_REQUIRE_EQUAL(coordinator_killed_at(c, "decided", ids), hit_the_step);
  BOOST_TEST(c.wait_none_prepared());
  BOOST_TEST(values_of(*db, ids) == (strings{"90", "110"}));
  BOOST_TEST(touch_all(*db, ids).engaged());
}

BOOST_AUTO_TEST_CASE(killed_between_the_commits_the_rest_commit) {
  cross_node_cluster c{"fault_between"};
  auto db = c.connect();
  auto ids = accounts_on(c, *db, {"n1", "n2", "n3"});
  BOOST_REQUIRE_EQUAL(coordinator_killed_at(c, "committed_one", ids),
                      hit_the_step);
  BOOST_TEST(c.wait_none_prepared());
  BOOST_TEST(values_of(*db, ids) == (strings{"80", "110", "110"}));
  BOOST_TEST(touch_all(*db, ids).engaged());
}

// The holder frozen (SIGSTOP) just before the decision is sent: the
// coordinator's decision call and its questions go unanswered, so it
// answers `in_doubt` (never a guess) and counts it. Thawed, the holder
// decides (the commit it received, or presumed abort past its wait), the
// participant learns that, and the total is exact either way.
BOOST_AUTO_TEST_CASE(a_lost_decision_answer_is_in_doubt_until_the_holder_is_back) {
  // Sessions outlive the freeze: the holder keeps its shards meanwhile.
  cross_node_cluster c{"fault_in_doubt", 30000};
  auto setup = c.connect();
  auto ids = accounts_on(c, *setup, {"n1", "n2"});
  cluster_client_options opts{std::chrono::seconds{2}};
  opts.fault_hook = [&](const std::string& at) {
    if (at == "deciding")
      c.nodes.at("n1")->pause();
  };
  auto db = c.connect(opts);
  auto r = transfer(*db, ids[0], ids[1], 10);
  c.nodes.at("n1")->resume();
  BOOST_REQUIRE(!r);
  BOOST_TEST(code_of(r.error()) == errc::in_doubt, to_string(r.error()));
  BOOST_TEST(cluster_txn_stats_of(*db)->in_doubt == 1u);
  BOOST_TEST(c.wait_none_prepared());
  auto values = values_of(*setup, ids);
  BOOST_TEST((values == strings{"90", "110"} || values == strings{"100", "100"}),
             values[0] << " " << values[1]);
  BOOST_TEST(touch_all(*setup, ids).engaged());
}

namespace {

/// entactd's exit code at a --twopc-test-crash-at step.
constexpr int crashed_at_step = 86;

/// The values of `ids`, once every one of them reads (a restarted node
/// serves again once its old session has expired).
std::vector<std::string> settled_values(database& db,
                                        const std::vector<std::string>& ids) {
  std::vector<std::string> values;
  wait_until(
    [&] {
      values.clear();
      for (auto& id : ids) {
        auto r = db.get(id);
        if (!r)
          return false;
        values.push_back(r->value);
      }
      return true;
    },
    30s, 50ms);
  return values;
}

/// A transfer of 10 from an account on n1 (the decision holder: the first
/// writing node) to one on n2, while node `crashing` exits at `step`; it is
/// restarted on its data and port. Returns the client's answer; checks
/// that the node exited there, that nothing stays prepared, that the
/// transfer is all-or-nothing with the total unchanged and the values
/// `expected`, and that both accounts are free.
caf::expected<std::vector<record>>
crash_at(const std::string& cluster, const std::string& crashing,
         const std::string& step, const strings& expected) {
  cross_node_cluster c{cluster, 2000,
                       {{crashing, {"--twopc-test-crash-at=" + step}}}};
  auto db = c.connect();
  auto ids = accounts_on(c, *db, {"n1", "n2"});
  auto r = transfer(*db, ids[0], ids[1], 10);
  BOOST_TEST(c.nodes.at(crashing)->wait_exit_for(30s) == crashed_at_step);
  c.restart_plain(crashing);
  BOOST_TEST(c.wait_none_prepared());
  auto values = settled_values(*db, ids);
  BOOST_TEST(values == expected);
  BOOST_TEST(touch_all(*db, ids).engaged());
  BOOST_TEST(total_of(*db, ids) == 200);
  return r;
}

} // namespace

// n2's vote is durable, its answer never sent: the coordinator aborts
// (its error returned), and n2, restarted, learns presumed abort from n1.
BOOST_AUTO_TEST_CASE(a_participant_crashed_after_its_prepare_aborts) {
  auto r = crash_at("crash_prepared", "n2", "prepared", {"100", "100"});
  BOOST_TEST(!r);
}

// The holder's commit as decision is durable, its answer never sent: the
// client cannot learn the outcome (in_doubt); the holder restarted, n2
// learns the commit from it: the in-doubt transfer committed everywhere.
BOOST_AUTO_TEST_CASE(the_holder_crashed_after_the_decision_commits) {
  auto r = crash_at("crash_decided", "n1", "decided", {"90", "110"});
  BOOST_REQUIRE(!r);
  BOOST_TEST(code_of(r.error()) == errc::in_doubt, to_string(r.error()));
}

// n2's commit is durable, its answer never sent: past the commit point the
// client answers success; n2 restarted holds nothing prepared.
BOOST_AUTO_TEST_CASE(a_participant_crashed_after_its_commit_keeps_it) {
  auto r = crash_at("crash_committed", "n2", "committed", {"90", "110"});
  BOOST_TEST(r.engaged(), (r ? "" : to_string(r.error())));
}
