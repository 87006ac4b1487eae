// Real entactd nodes of a cluster in a real ZooKeeper: each serves only the
// shards the map gives it (`wrong_node` for the others), and refuses
// everything (`unavailable`) once it cannot prove its session -- after a
// freeze past the session timeout, before it has re-registered.
#include <boost/test/unit_test.hpp>

#include "entact/cluster/cluster_admin.hpp"
#include "entact/cluster/shard_hash.hpp"
#include "entact/not_found.hpp"
#include "support/cluster_fixture.hpp"
#include "support/remote_client.hpp"
#include "support/run_command.hpp"
#include "support/server_process.hpp"

using namespace entact;
using namespace entact::cluster;
using namespace std::chrono_literals;

namespace {

constexpr uint32_t shard_count = 8;

struct nodes_fixture : test::cluster_fixture {
  nodes_fixture() {
    if (auto err = create_cluster(*admin, "c", shard_count))
      throw std::runtime_error(to_string(err));
  }

  std::vector<std::string> node_args(const std::string& id,
                                     size_t min_members) {
    return {"--cluster=" + zk.hosts() + "/c", "--node-id=" + id,
            "--cluster-session-timeout-ms=2000",
            "--cluster-min-members=" + std::to_string(min_members)};
  }

  /// The first id "acct/N" whose shard `owner` owns in `view`.
  static std::string id_owned_by(const cluster_view& view,
                                 const std::string& owner) {
    for (int i = 0;; ++i) {
      auto id = "acct/" + std::to_string(i);
      if (view.map[shard_of(id, view.shards)].record.owner == owner)
        return id;
    }
  }

  /// Waits until `db` serves `id` (answers something else than
  /// `unavailable` or `wrong_node`: the node has caught up with the map).
  static bool wait_serving(database& db, const std::string& id) {
    return test::wait_until(
      [&] {
        auto c = code_of(db.get(id).error());
        return c != errc::unavailable && c != errc::wrong_node;
      },
      30s, 20ms);
  }
};

errc code_of_get(database& db, const std::string& id) {
  auto r = db.get(id);
  return r ? errc::none : code_of(r.error());
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(cluster_nodes, nodes_fixture)

BOOST_AUTO_TEST_CASE(a_node_refuses_the_shards_of_another) {
  test::server_process n1{node_args("n1", 2)};
  test::server_process n2{node_args("n2", 2)};
  auto view = wait_all_owned();
  int per_node[2] = {0, 0};
  for (auto& e : view.map)
    ++per_node[e.record.owner == "n1" ? 0 : 1];
  BOOST_TEST(per_node[0] == 4);
  BOOST_TEST(per_node[1] == 4);
  BOOST_TEST(view.find_member("n1")->address
             == "127.0.0.1:" + std::to_string(n1.port()));
  auto own = id_owned_by(view, "n1");
  auto foreign = id_owned_by(view, "n2");
  auto db1 = test::connect_or_throw(n1.port());
  auto db2 = test::connect_or_throw(n2.port());
  BOOST_REQUIRE(wait_serving(*db1, own));
  BOOST_REQUIRE(wait_serving(*db2, foreign));
  BOOST_TEST(db1->create(own, "100").engaged());
  auto refused = db1->create(foreign, "100");
  BOOST_REQUIRE(!refused);
  BOOST_TEST(code_of(refused.error()) == errc::wrong_node);
  auto detail = to_string(refused.error());
  auto shard = std::to_string(shard_of(foreign, shard_count));
  BOOST_TEST(detail.find("shard " + shard) != std::string::npos, detail);
  BOOST_TEST(detail.find("epoch 1") != std::string::npos, detail);
  BOOST_TEST(code_of_get(*db1, foreign) == errc::wrong_node);
  // A batch with one foreign id is refused whole: nothing written.
  auto own2 = "x" + own;
  while (view.map[shard_of(own2, shard_count)].record.owner != "n1")
    own2 = "x" + own2;
  auto batch = db1->apply_batch(
    {write_op::create(own2, "1"), write_op::create(foreign, "1")});
  BOOST_REQUIRE(!batch);
  BOOST_TEST(code_of(batch.error()) == errc::wrong_node);
  BOOST_TEST(code_of_get(*db1, own2) == errc::not_found);
  // The owner serves it; the data stays where it was written.
  BOOST_TEST(db2->create(foreign, "200").engaged());
  BOOST_TEST(db2->get(foreign)->value == "200");
  BOOST_TEST(db1->get(own)->value == "100");
  BOOST_TEST(code_of_get(*db2, own) == errc::wrong_node);
}

BOOST_AUTO_TEST_CASE(a_frozen_node_refuses_until_it_has_registered_again) {
  test::server_process n1{node_args("n1", 1)};
  auto view = wait_all_owned();
  auto id = id_owned_by(view, "n1");
  auto db = test::connect_or_throw(n1.port());
  BOOST_REQUIRE(wait_serving(*db, id));
  BOOST_REQUIRE(db->create(id, "1"));
  // Freeze the node until ZooKeeper has expired its session (its member is
  // gone), then freeze ZooKeeper too so that the node cannot register
  // again: on thawing, only its lease can tell it that it must not serve.
  n1.pause();
  BOOST_REQUIRE(test::wait_until(
    [&] {
      auto v = read_cluster(*admin, "c");
      return v && !v->is_live("n1");
    },
    30s, 20ms));
  zk.pause();
  n1.resume();
  auto stale_write = db->update(id, 1, "2");
  BOOST_REQUIRE(!stale_write);
  BOOST_TEST(code_of(stale_write.error()) == errc::unavailable);
  BOOST_TEST(code_of_get(*db, id) == errc::unavailable);
  zk.resume();
  // A new session, a new registration, a fresh map: it serves again.
  BOOST_REQUIRE(wait_serving(*db, id));
  BOOST_TEST(test::wait_until(
    [&] {
      auto v = read_cluster(*admin, "c");
      return v && v->is_live("n1");
    },
    30s));
  auto fresh = db->update(id, 1, "2");
  BOOST_TEST(fresh.engaged(), (fresh ? "" : to_string(fresh.error())));
  BOOST_TEST(db->get(id)->value == "2");
}

BOOST_AUTO_TEST_CASE(bad_cluster_options_are_refused_at_start) {
  for (auto& args : std::vector<std::vector<std::string>>{
         {"--cluster=" + zk.hosts(), "--node-id=n1"},
         {"--cluster=" + zk.hosts() + "/c", "--node-id=bad/id"},
         {"--cluster=" + zk.hosts() + "/c", "--node-id="},
         {"--cluster=" + zk.hosts() + "/c", "--node-id=n1",
          "--cluster-session-timeout-ms=5"}}) {
    test::temp_dir dir;
    args.insert(args.begin(),
                {ENTACT_ENTACTD_PATH, "--data-dir=" + dir.sub("d"),
                 "--port=0"});
    auto r = test::run_command(args, 30s);
    BOOST_TEST(r.exit_code == 64, r.err);
    BOOST_TEST(r.err.find("bad configuration") != std::string::npos, r.err);
  }
}

BOOST_AUTO_TEST_SUITE_END()
