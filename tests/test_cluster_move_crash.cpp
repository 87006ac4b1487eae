// Shard moves interrupted by a crash (SIGKILL) of either side, with one real
// ZooKeeper and 3 real entactd nodes on 127.0.0.1 written through
// `connect_cluster` all along: the shard ends owned by exactly one node
// with every acknowledged write, and the move can be retried. The target
// is held in its copy by a test hook (--cluster-test-move-hold-ms), so the
// crash lands inside the move.
#include <boost/test/unit_test.hpp>

#include "entact/cluster/cluster_admin.hpp"
#include "entact/cluster/move_admin.hpp"
#include "entact/cluster/shard_hash.hpp"
#include "entact/connect_cluster.hpp"
#include "support/acked_writer.hpp"
#include "support/cluster_fixture.hpp"
#include "support/move_helpers.hpp"
#include "support/move_traffic.hpp"
#include "support/remote_client.hpp"
#include "support/three_nodes.hpp"

using namespace entact;
using namespace entact::cluster;
using namespace std::chrono_literals;

using test::shared_zookeeper;
BOOST_TEST_GLOBAL_FIXTURE(shared_zookeeper);

using test::acks_now;
using test::shard_count;
using test::three_nodes;
using test::wait_acks;

namespace {

/// Writers on ids of one shard: versioned updates and counters.
struct shard_traffic {
  shard_traffic(database& db, uint32_t shard)
    : versioned(test::ids_in_shard("acct/", shard, shard_count, 2)),
      counters(make_counters(db, shard)),
      writer(db, versioned),
      adder(db, counters) {
  }

  static std::vector<std::string> make_counters(database& db,
                                                uint32_t shard) {
    auto ids = test::ids_in_shard("count/", shard, shard_count, 1);
    for (auto& id : ids)
      if (!db.create(id, "0"))
        throw std::runtime_error("cannot create " + id);
    return ids;
  }

  /// Waits for `n` more acknowledged writes of each kind.
  bool more(uint64_t n) {
    auto since = acks_now(writer, versioned);
    auto counted = adder.acked(counters[0]);
    return wait_acks(writer, versioned, since, n)
           && test::wait_until(
             [&] { return adder.acked(counters[0]) >= counted + n; }, 60s,
             10ms);
  }

  /// Stops and checks every acknowledged write through `db`.
  void check(database& db) {
    writer.stop();
    adder.stop();
    BOOST_TEST(writer.check(db) == "");
    BOOST_TEST(writer.strange() == 0u);
    for (auto& id : counters) {
      auto r = db.get(id);
      BOOST_REQUIRE_MESSAGE(r, (r ? "" : to_string(r.error())));
      auto value = std::stoull(r->value);
      BOOST_TEST(value >= adder.acked(id), id);
      BOOST_TEST(value <= adder.acked(id) + adder.unknown(id), id);
    }
  }

  std::vector<std::string> versioned;
  std::vector<std::string> counters;
  test::acked_writer writer;
  test::counter_adder adder;
};

errc code_of_direct_get(uint16_t port, const std::string& id) {
  auto direct = test::connect_or_throw(port);
  auto r = direct->get(id);
  return r ? errc::none : code_of(r.error());
}

} // namespace

BOOST_AUTO_TEST_SUITE(cluster_move_crash)

BOOST_AUTO_TEST_CASE(a_target_killed_mid_move_then_a_retry_elsewhere) {
  three_nodes c{"mv_kill_target", 2000, shared_zookeeper::server(),
                {{"n2", {"--cluster-test-move-hold-ms=60000"}}}};
  auto shard = test::shard_of_node(c.view, "n1");
  auto epoch = c.view.map[shard].record.epoch;
  auto db = c.connect();
  shard_traffic traffic{*db, shard};
  BOOST_REQUIRE(traffic.more(3));

  BOOST_REQUIRE(start_move(*c.admin, c.name, shard, "n2"));
  c.nodes.at("n2")->crash();
  // Once n2's session has expired the source drops the move: n1 keeps the
  // shard at its epoch and goes on serving it.
  BOOST_REQUIRE(test::wait_move_ended(*c.admin, c.name, shard));
  auto view = read_cluster(*c.admin, c.name);
  BOOST_REQUIRE(view);
  BOOST_TEST(view->map[shard].record.owner == "n1");
  BOOST_TEST(view->map[shard].record.epoch == epoch);
  BOOST_TEST(traffic.more(3));

  // Retried to a live node: it completes.
  auto retry = start_move(*c.admin, c.name, shard, "n3");
  BOOST_REQUIRE_MESSAGE(retry, (retry ? "" : to_string(retry.error())));
  BOOST_REQUIRE(test::wait_move_ended(*c.admin, c.name, shard));
  view = read_cluster(*c.admin, c.name);
  BOOST_REQUIRE(view);
  BOOST_TEST(view->map[shard].record.owner == "n3");
  BOOST_TEST(view->map[shard].record.epoch == epoch + 1);
  BOOST_TEST(traffic.more(3));
  traffic.check(*db);
  BOOST_TEST(test::wait_until(
    [&] {
      return code_of_direct_get(c.nodes.at("n1")->port(),
                                traffic.versioned[0])
             == errc::wrong_node;
    },
    30s, 20ms));
}

BOOST_AUTO_TEST_CASE(a_source_killed_while_frozen_ends_with_one_owner) {
  // n2 holds 2 s after its copy and again once frozen: the source is
  // killed in the frozen state, before the catch-up.
  three_nodes c{"mv_kill_source", 2000, shared_zookeeper::server(),
                {{"n2", {"--cluster-test-move-hold-ms=2000"}}}};
  auto shard = test::shard_of_node(c.view, "n1");
  auto epoch = c.view.map[shard].record.epoch;
  auto db = c.connect();
  shard_traffic traffic{*db, shard};
  BOOST_REQUIRE(traffic.more(3));

  BOOST_REQUIRE(start_move(*c.admin, c.name, shard, "n2"));
  BOOST_REQUIRE(test::wait_until(
    [&] {
      auto m = test::move_of(*c.admin, c.name, shard);
      return m && m->record.state == move_state::frozen;
    },
    60s, 5ms));
  c.nodes.at("n1")->crash();
  c.nodes.at("n1")->restart();
  // Either the target caught up from the restarted source and flipped the
  // map, or it found the source gone and dropped the move; the source came
  // back fenced while the move was frozen. One owner either way, with
  // every acknowledged write.
  BOOST_REQUIRE(test::wait_move_ended(*c.admin, c.name, shard));
  auto view = read_cluster(*c.admin, c.name);
  BOOST_REQUIRE(view);
  auto owner = view->map[shard].record.owner;
  BOOST_TEST_MESSAGE("the shard ended on " << owner);
  BOOST_TEST((owner == "n1" || owner == "n2"), owner);
  BOOST_TEST(view->map[shard].record.epoch
             == (owner == "n2" ? epoch + 1 : epoch));
  BOOST_TEST(traffic.more(3));
  traffic.check(*db);
  auto other = owner == "n1" ? "n2" : "n1";
  BOOST_TEST(test::wait_until(
    [&] {
      return code_of_direct_get(c.nodes.at(other)->port(),
                                traffic.versioned[0])
             == errc::wrong_node;
    },
    30s, 20ms));
  // A move that was dropped can be retried.
  if (owner == "n1") {
    BOOST_REQUIRE(start_move(*c.admin, c.name, shard, "n2"));
    BOOST_REQUIRE(test::wait_move_ended(*c.admin, c.name, shard));
    BOOST_TEST(read_cluster(*c.admin, c.name)->map[shard].record.owner
               == "n2");
  }
}

BOOST_AUTO_TEST_SUITE_END()
