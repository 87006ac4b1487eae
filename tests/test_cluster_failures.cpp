// A cluster under failure: one real ZooKeeper (shared by the cases) and 3
// real entactd nodes on 127.0.0.1, written to through `connect_cluster`
// while (a) a node is killed with SIGKILL and restarted on its data
// directory, (b) the ZooKeeper server is stopped and started again. Calls
// for a dead node's shards answer `unavailable` (not a timeout), the other
// shards are served meanwhile, and every acknowledged write is stored
// afterwards.
#include <boost/test/unit_test.hpp>

#include "entact/cluster/cluster_admin.hpp"
#include "entact/cluster/shard_hash.hpp"
#include "entact/connect_cluster.hpp"
#include "support/acked_writer.hpp"
#include "support/cluster_fixture.hpp"
#include "support/remote_client.hpp"
#include "support/server_process.hpp"
#include "support/three_nodes.hpp"

using namespace entact;
using namespace entact::cluster;
using namespace std::chrono_literals;

using test::shared_zookeeper;
BOOST_TEST_GLOBAL_FIXTURE(shared_zookeeper);

using test::call_deadline;
using test::code_of_get;
using test::shard_count;
using test::three_nodes;
using test::wait_acks;
using test::acks_now;

namespace {

/// What a writer may see of a node that is down or fenced: refused, or
/// lost in flight (outcome unknown), and then the conflict of an update
/// that was stored after all (`acked_writer::strange` checks it was ours).
bool expected_failure(errc code) {
  return code == errc::unavailable || code == errc::unreachable
         || code == errc::conflict;
}

} // namespace

BOOST_AUTO_TEST_SUITE(cluster_failures)

BOOST_AUTO_TEST_CASE(a_killed_node_is_unavailable_and_its_data_is_back) {
  three_nodes c{"kill"};
  auto db = c.connect();
  auto all = c.ids_of_all();
  auto on_n1 = c.ids_of("n1", 2);
  std::vector<std::string> others;
  for (auto& id : all)
    if (c.view.map[shard_of(id, shard_count)].record.owner != "n1")
      others.push_back(id);
  test::acked_writer writer{*db, all};
  BOOST_REQUIRE(wait_acks(writer, all, {}, 3));

  c.nodes.at("n1")->crash(); // SIGKILL: no goodbye, its session lingers
  // Its shards answer `unavailable` -- neither a timeout nor a hang -- and
  // keep their owner (their data is in n1's store).
  auto started = std::chrono::steady_clock::now();
  auto down = db->get(on_n1[0]);
  auto took = std::chrono::steady_clock::now() - started;
  BOOST_REQUIRE(!down);
  BOOST_TEST(code_of(down.error()) == errc::unavailable, to_string(down.error()));
  BOOST_TEST((took < call_deadline), "the call answered before its deadline");
  auto write = db->update(on_n1[1], 1, "x");
  BOOST_REQUIRE(!write);
  BOOST_TEST(code_of(write.error()) == errc::unavailable,
             to_string(write.error()));
  // The other nodes' shards are served meanwhile: the writer goes on there.
  auto before = acks_now(writer, others);
  BOOST_TEST(wait_acks(writer, others, before, 2));
  for (auto& id : others)
    BOOST_TEST(code_of_get(*db, id) == errc::none, id);

  // Back on its data directory (a new port; it registers once its old
  // session has expired): every acknowledged write is there.
  c.nodes.at("n1")->restart();
  BOOST_TEST(test::wait_until(
    [&] { return code_of_get(*db, on_n1[0]) == errc::none; }, 60s, 20ms));
  auto back = acks_now(writer, on_n1);
  BOOST_TEST(wait_acks(writer, on_n1, back, 2));
  writer.stop();
  BOOST_TEST(writer.check(*db) == "");
  BOOST_TEST(writer.strange() == 0u);
  for (auto& id : others) {
    // Nothing but successes on the nodes that stayed up.
    auto failures = writer.log_of(id).failures;
    BOOST_TEST(failures.empty(), id << ": " << failures.size()
                                    << " kinds of failure");
  }
  for (auto& id : on_n1)
    for (auto& [code, n] : writer.log_of(id).failures)
      BOOST_TEST(expected_failure(code), id << ": " << n << " x " << code);
}

BOOST_AUTO_TEST_CASE(a_zookeeper_restart_fences_and_then_serves_again) {
  three_nodes c{"zkrestart"};
  auto db = c.connect();
  auto all = c.ids_of_all();
  test::acked_writer writer{*db, all};
  BOOST_REQUIRE(wait_acks(writer, all, {}, 3));
  auto on_n2 = c.ids_of("n2", 1).front();
  auto direct = test::connect_or_throw(c.nodes.at("n2")->port());

  c.zk.stop();
  // The nodes serve while they can prove their session, then refuse: a
  // node that cannot reach ZooKeeper must not go on writing (another
  // could be given its shards once its session has expired).
  BOOST_TEST(test::wait_until(
    [&] { return code_of_get(*direct, on_n2) == errc::unavailable; }, 30s,
    20ms));
  auto fenced = direct->update(on_n2, 1, "x");
  BOOST_REQUIRE(!fenced);
  BOOST_TEST(code_of(fenced.error()) == errc::unavailable,
             to_string(fenced.error()));
  auto through_cluster = db->get(on_n2);
  BOOST_REQUIRE(!through_cluster);
  BOOST_TEST(code_of(through_cluster.error()) == errc::unavailable);

  // Back on the same port and data: the sessions are restored (or the
  // nodes register anew), and every node serves again.
  c.zk.restart();
  auto back = acks_now(writer, all);
  BOOST_TEST(wait_acks(writer, all, back, 3));
  BOOST_TEST(code_of_get(*direct, on_n2) == errc::none);
  writer.stop();
  BOOST_TEST(writer.check(*db) == "");
  BOOST_TEST(writer.strange() == 0u);
  for (auto& id : all)
    for (auto& [code, n] : writer.log_of(id).failures)
      BOOST_TEST(expected_failure(code), id << ": " << n << " x " << code);
}

BOOST_AUTO_TEST_SUITE_END()
