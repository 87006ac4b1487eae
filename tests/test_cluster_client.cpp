// `entact::connect_cluster` over two real entactd nodes and a real
// ZooKeeper: every call reaches the owner of its id's shard, calls spanning
// shards run there (batches, transactions) or answer `cross_shard`
// (read_many), and a shard whose node is down answers
// `unavailable` at once and is served again when the node is back.
#include <boost/test/unit_test.hpp>

#include "entact/cluster/cluster_admin.hpp"
#include "entact/cluster/shard_hash.hpp"
#include "entact/connect_cluster.hpp"
#include "support/cluster_fixture.hpp"
#include "support/remote_client.hpp"
#include "support/server_process.hpp"
#include "support/wait_until.hpp"
#include "support/watch_collector.hpp"

using namespace entact;
using namespace entact::cluster;
using namespace std::chrono_literals;

namespace {

constexpr uint32_t shard_count = 8;

struct client_fixture : test::cluster_fixture {
  client_fixture() {
    if (auto err = create_cluster(*admin, "c", shard_count))
      throw std::runtime_error(to_string(err));
  }

  std::vector<std::string> node_args(const std::string& id) {
    return {"--cluster=" + zk.hosts() + "/c", "--node-id=" + id,
            "--cluster-session-timeout-ms=2000", "--cluster-min-members=2"};
  }

  std::unique_ptr<database> connect() {
    auto db = connect_cluster(zk.hosts() + "/c");
    if (!db)
      throw std::runtime_error(to_string(db.error()));
    return std::move(*db);
  }
};

std::vector<std::string> ids(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i)
    out.push_back("user/" + std::to_string(i));
  return out;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(cluster_client, client_fixture)

BOOST_AUTO_TEST_CASE(every_call_reaches_the_owner_of_its_shard) {
  test::server_process n1{node_args("n1")};
  test::server_process n2{node_args("n2")};
  auto view = wait_all_owned();
  auto db = connect();
  auto direct1 = test::connect_or_throw(n1.port());
  auto direct2 = test::connect_or_throw(n2.port());
  // The nodes follow the map within a refresh; the client redirects.
  for (auto& id : ids(20)) {
    auto made = db->create(id, "v-" + id);
    BOOST_TEST_INFO(id);
    BOOST_REQUIRE_MESSAGE(made, (made ? "" : to_string(made.error())));
  }
  for (auto& id : ids(20)) {
    BOOST_TEST_INFO(id);
    BOOST_TEST(db->get(id)->value == "v-" + id);
    BOOST_TEST(db->read(id)->value == "v-" + id);
    // Stored by the owner only.
    bool on_n1 = view.map[shard_of(id, shard_count)].record.owner == "n1";
    auto& owner = on_n1 ? direct1 : direct2;
    auto& other = on_n1 ? direct2 : direct1;
    BOOST_TEST(owner->get(id)->value == "v-" + id);
    BOOST_TEST(code_of(other->get(id).error()) == errc::wrong_node);
  }
  BOOST_TEST(db->modify("user/0", "append", "!")->value == "v-user/0!");
  // One shard: batches, transactions and read_many work as on one node.
  std::vector<std::string> same; // fresh ids, all on the shard of s/0
  for (int i = 0; i < 200; ++i)
    if (auto id = "s/" + std::to_string(i);
        shard_of(id, shard_count) == shard_of("s/0", shard_count))
      same.push_back(id);
  BOOST_REQUIRE(same.size() >= 3u);
  auto batch = db->apply_batch({write_op::create(same[2], "b")});
  BOOST_TEST(batch.engaged());
  BOOST_TEST(db->read_many({same[0], same[1]}).engaged());
  auto first = same[0];
  auto txn = db->transact({same[0], same[1]}, [&](transaction& t) {
    return t.put(first, "t");
  });
  BOOST_TEST(txn.engaged(), (txn ? "" : to_string(txn.error())));
  // Across shards (on one node or two): a stale batch is a conflict and
  // writes nothing; a transaction runs (README, "Cross-node transactions");
  // read_many is refused.
  std::string other_shard = "user/0";
  for (auto& id : ids(200))
    if (shard_of(id, shard_count) != shard_of(same[0], shard_count))
      other_shard = id;
  std::string fresh = "fresh/1";
  if (shard_of(fresh, shard_count) == shard_of(other_shard, shard_count))
    fresh = same[0] + "z";
  auto cross = db->apply_batch(
    {write_op::create(fresh, "x"), write_op::update(other_shard, 1, "y")});
  BOOST_REQUIRE(!cross);
  BOOST_TEST(code_of(cross.error()) == errc::conflict);
  BOOST_TEST(code_of(db->get(fresh).error()) == errc::not_found);
  BOOST_TEST(code_of(db->read_many({same[0], other_shard}).error())
             == errc::cross_shard);
  BOOST_TEST(db->transact({same[0], other_shard},
                          [](transaction&) { return caf::error{}; })
               .engaged());
}

BOOST_AUTO_TEST_CASE(a_down_node_is_unavailable_until_it_is_back) {
  auto n1 = std::make_unique<test::server_process>(node_args("n1"));
  // (a pointer only so that the stop and the restart read as such)
  test::server_process n2{node_args("n2")};
  auto view = wait_all_owned();
  auto db = connect();
  std::string on_n1;
  std::string on_n2;
  for (auto& id : ids(50))
    (view.map[shard_of(id, shard_count)].record.owner == "n1" ? on_n1 : on_n2)
      = id;
  BOOST_REQUIRE(db->create(on_n1, "one").engaged());
  BOOST_REQUIRE(db->create(on_n2, "two").engaged());
  n1->stop(); // a clean stop closes its session: the member goes at once
  BOOST_REQUIRE(test::wait_until(
    [&] { return !read_cluster(*admin, "c")->is_live("n1"); }, 30s));
  // n1's shards stay n1's (their data is in its store): unavailable.
  auto down = db->get(on_n1);
  BOOST_REQUIRE(!down);
  BOOST_TEST(code_of(down.error()) == errc::unavailable);
  BOOST_TEST(db->get(on_n2)->value == "two");
  // Back on the same data directory: the data is served again.
  n1->restart();
  BOOST_TEST(test::wait_until(
    [&] {
      auto r = db->get(on_n1);
      return r && r->value == "one";
    },
    30s, 20ms));
}

// A watch through the cluster client sees every version written on the
// owner, in order, and ends with an error (its last call) when the owner
// stops, instead of going silent.
BOOST_AUTO_TEST_CASE(a_watch_runs_on_the_owner_until_it_stops) {
  auto n1 = std::make_unique<test::server_process>(node_args("n1"));
  test::server_process n2{node_args("n2")};
  auto view = wait_all_owned();
  auto db = connect();
  std::string on_n1;
  for (auto& id : ids(50))
    if (view.map[shard_of(id, shard_count)].record.owner == "n1")
      on_n1 = id;
  BOOST_REQUIRE(!on_n1.empty());
  test::watch_collector seen; // before the handle: it outlives the watch
  auto w = db->watch(on_n1, 0, seen.callback());
  BOOST_REQUIRE_MESSAGE(w, (w ? "" : to_string(w.error())));
  BOOST_REQUIRE(db->create(on_n1, "a").engaged());
  BOOST_REQUIRE(db->update(on_n1, 1, "b").engaged());
  BOOST_REQUIRE(db->modify(on_n1, "append", "c").engaged());
  BOOST_REQUIRE(
    test::wait_until([&] { return seen.last_version() >= 3; }, 30s));
  auto evs = seen.events();
  BOOST_REQUIRE_EQUAL(evs.size(), 3u);
  std::vector<std::string> values{"a", "b", "bc"};
  for (size_t i = 0; i < evs.size(); ++i) {
    BOOST_TEST(evs[i].rec.version == i + 1);
    BOOST_TEST(evs[i].rec.value == values[i]);
  }
  BOOST_TEST(code_of(db->watch(on_n1, 0, nullptr).error())
             == errc::invalid_argument);
  n1->stop();
  BOOST_REQUIRE(
    test::wait_until([&] { return !seen.errors().empty(); }, 30s));
  auto why = code_of(seen.errors().front());
  BOOST_TEST((why == errc::unreachable || why == errc::closed),
             "ended with " << to_string(seen.errors().front()));
}

BOOST_AUTO_TEST_SUITE_END()
