// `connect_cluster`'s client follows the map: a running client sees the
// assignment made when nodes join and a shard given to another node (ZooKeeper
// watches), without a failed call telling it first; and its asynchronous
// calls follow `unavailable` / `wrong_node` like the blocking ones. One real
// ZooKeeper for the file, real entactd nodes.
#include <boost/test/unit_test.hpp>

#include "entact/cluster/cluster_admin.hpp"
#include "entact/cluster/shard_hash.hpp"
#include "entact/connect_cluster.hpp"
#include "support/cluster_fixture.hpp"
#include "support/remote_client.hpp"
#include "support/server_process.hpp"

using namespace entact;
using namespace entact::cluster;
using namespace std::chrono_literals;

using test::shared_zookeeper;
BOOST_TEST_GLOBAL_FIXTURE(shared_zookeeper);

namespace {

constexpr uint32_t shard_count = 4;

errc code_of_get(database& db, const std::string& id) {
  auto r = db.get(id);
  return r ? errc::none : code_of(r.error());
}

struct follow_fixture {
  test::zookeeper_process& zk = shared_zookeeper::server();
  std::unique_ptr<zk_session> admin = test::open_session(zk);

  void create(const std::string& name) {
    if (auto err = create_cluster(*admin, name, shard_count))
      throw std::runtime_error(to_string(err));
  }

  std::vector<std::string> node_args(const std::string& name,
                                     const std::string& id) {
    return {"--cluster=" + zk.hosts() + "/" + name, "--node-id=" + id,
            "--cluster-session-timeout-ms=2000", "--cluster-min-members=2"};
  }

  std::unique_ptr<database> connect(const std::string& name,
                                    unsigned max_redirects) {
    cluster_client_options opts;
    opts.request_timeout = 20s;
    opts.max_redirects = max_redirects;
    auto db = connect_cluster(zk.hosts() + "/" + name, opts);
    if (!db)
      throw std::runtime_error(to_string(db.error()));
    return std::move(*db);
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(cluster_follow, follow_fixture)

BOOST_AUTO_TEST_CASE(a_running_client_sees_the_map_change) {
  create("move");
  // A client that never redirects: a call sent by a stale map fails, so
  // only the watched map can bring it to the right node.
  auto db = connect("move", 0);
  const std::string id = "item/1";
  BOOST_TEST(code_of_get(*db, id) == errc::unavailable); // no owner yet
  test::server_process n1{node_args("move", "n1")};
  test::server_process n2{node_args("move", "n2")};
  // The nodes join and assign the shards: the client sees it.
  BOOST_TEST(test::wait_until(
    [&] { return db->create(id, "first").engaged(); }, 30s, 20ms));
  auto view = read_cluster(*admin, "move");
  BOOST_REQUIRE(view);
  auto entry = view->map[shard_of(id, shard_count)];
  auto old_owner = entry.record.owner;
  auto new_owner = old_owner == "n1" ? "n2" : "n1";
  auto& new_node = old_owner == "n1" ? n2 : n1;
  auto& old_node = old_owner == "n1" ? n1 : n2;

  // The admin gives the shard to the other node (moving its data is issue
  // 13's: the new owner starts empty). New calls go there.
  BOOST_REQUIRE(!set_shard_owner(*admin, "move", entry, new_owner));
  BOOST_TEST(test::wait_until(
    [&] { return code_of_get(*db, id) == errc::not_found; }, 30s, 20ms));
  auto made = db->create(id, "second");
  BOOST_TEST(made.engaged(), (made ? "" : to_string(made.error())));
  auto direct_new = test::connect_or_throw(new_node.port());
  BOOST_TEST(direct_new->get(id)->value == "second");
  auto direct_old = test::connect_or_throw(old_node.port());
  BOOST_TEST(test::wait_until(
    [&] { return code_of_get(*direct_old, id) == errc::wrong_node; }, 30s,
    20ms));
}

BOOST_AUTO_TEST_CASE(asynchronous_calls_follow_redirects) {
  create("async");
  test::server_process n1{node_args("async", "n1")};
  test::server_process n2{node_args("async", "n2")};
  auto view = test::wait_all_owned(*admin, "async");
  // Enough redirects (51 s of pauses in all) to outlast a ZooKeeper pause.
  auto db = connect("async", 10);
  std::vector<std::string> on_n1;
  for (int i = 0; on_n1.size() < 2; ++i)
    if (auto id = "item/" + std::to_string(i);
        view.map[shard_of(id, shard_count)].record.owner == "n1")
      on_n1.push_back(id);
  auto made = db->create(on_n1[0], "a");
  BOOST_REQUIRE(made);
  BOOST_REQUIRE(db->create(on_n1[1], "b"));
  auto direct = test::connect_or_throw(n1.port());

  // ZooKeeper frozen: n1 soon cannot prove its session and refuses.
  zk.pause();
  BOOST_REQUIRE(test::wait_until(
    [&] { return code_of_get(*direct, on_n1[0]) == errc::unavailable; }, 30s,
    20ms));
  // Sent while n1 refuses: each is answered `unavailable`, waits out a
  // pause and is sent again, until n1 serves again.
  auto update = db->apply_future(write_op::update(on_n1[0], made->version,
                                                  "a2"));
  auto append = db->modify_future({on_n1[1], "append", "!"});
  zk.resume();
  auto updated = update.get();
  BOOST_TEST(updated.engaged(), (updated ? "" : to_string(updated.error())));
  auto appended = append.get();
  BOOST_TEST(appended.engaged(),
             (appended ? "" : to_string(appended.error())));
  BOOST_TEST(db->get(on_n1[0])->value == "a2");
  BOOST_TEST(db->get(on_n1[1])->value == "b!");
}

BOOST_AUTO_TEST_SUITE_END()
