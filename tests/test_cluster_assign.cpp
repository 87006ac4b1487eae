// Assignment of shards to live members in a real ZooKeeper: balanced, every
// change an epoch bump, and versioned writes so that two admins never
// overwrite each other's change.
#include <boost/test/unit_test.hpp>

#include <map>
#include <thread>

#include "entact/cluster/cluster_admin.hpp"
#include "support/cluster_fixture.hpp"

using namespace entact;
using namespace entact::cluster;
using namespace std::chrono_literals;

namespace {

std::map<std::string, int> shards_per_owner(const cluster_view& view) {
  std::map<std::string, int> count;
  for (auto& e : view.map)
    ++count[e.record.owner];
  return count;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(cluster_assign, test::cluster_fixture)

BOOST_AUTO_TEST_CASE(assignment_is_balanced_and_bumps_each_epoch_once) {
  BOOST_REQUIRE(!create_cluster(*admin, "c", 10));
  // No member: nothing to assign, nothing changes.
  auto empty = assign_unowned(*admin, "c");
  BOOST_REQUIRE(empty);
  for (auto& e : empty->map)
    BOOST_TEST(e.record.epoch == 0u);
  auto n1 = test::open_session(zk);
  auto n2 = test::open_session(zk);
  auto n3 = test::open_session(zk);
  BOOST_REQUIRE(!register_member(*n1, "c", "n1", "127.0.0.1:7001"));
  BOOST_REQUIRE(!register_member(*n2, "c", "n2", "127.0.0.1:7002"));
  BOOST_REQUIRE(!register_member(*n3, "c", "n3", "127.0.0.1:7003"));
  auto assigned = assign_unowned(*admin, "c");
  BOOST_REQUIRE(assigned);
  auto view = read_cluster(*admin, "c");
  BOOST_REQUIRE(view);
  BOOST_TEST((shards_per_owner(*view)
              == std::map<std::string, int>{{"n1", 4}, {"n2", 3}, {"n3", 3}}));
  for (auto& e : view->map) {
    BOOST_TEST(e.record.epoch == 1u);
    BOOST_TEST(e.zk_version == 1);
    BOOST_TEST(assigned->map[e.shard].record.owner == e.record.owner);
  }
  // Everything is owned: a second run changes nothing.
  BOOST_REQUIRE(assign_unowned(*admin, "c"));
  auto again = read_cluster(*admin, "c");
  BOOST_REQUIRE(again);
  for (auto& e : again->map)
    BOOST_TEST(e.record.epoch == 1u);
  // n1 goes down: its shards keep their owner (their data is in n1's
  // store), unchanged, until n1 is back.
  n1.reset();
  BOOST_REQUIRE(assign_unowned(*admin, "c"));
  auto after = read_cluster(*admin, "c");
  BOOST_REQUIRE(after);
  BOOST_TEST(!after->is_live("n1"));
  for (auto& e : after->map) {
    BOOST_TEST(e.record.owner == view->map[e.shard].record.owner);
    BOOST_TEST(e.record.epoch == 1u);
  }
  n1 = test::open_session(zk);
  BOOST_REQUIRE(!register_member(*n1, "c", "n1", "127.0.0.1:7001"));
  BOOST_TEST(read_cluster(*admin, "c")->is_live("n1"));
}

BOOST_AUTO_TEST_CASE(a_stale_admin_cannot_overwrite_a_newer_change) {
  BOOST_REQUIRE(!create_cluster(*admin, "c", 4));
  auto other = test::open_session(zk);
  auto stale = read_cluster(*admin, "c");
  BOOST_REQUIRE(stale);
  // The other admin moves shard 2 first (epoch 1).
  BOOST_REQUIRE(!set_shard_owner(*other, "c", stale->map[2], "n9"));
  // Our write, based on what we read before, is refused.
  auto err = set_shard_owner(*admin, "c", stale->map[2], "n1");
  BOOST_TEST(code_of(err) == errc::conflict);
  auto now = read_cluster(*admin, "c");
  BOOST_TEST(now->map[2].record.owner == "n9");
  BOOST_TEST(now->map[2].record.epoch == 1u);
  // Based on the fresh read it works, at the next epoch.
  BOOST_REQUIRE(!set_shard_owner(*admin, "c", now->map[2], "n1"));
  now = read_cluster(*admin, "c");
  BOOST_TEST(now->map[2].record.owner == "n1");
  BOOST_TEST(now->map[2].record.epoch == 2u);
  BOOST_TEST(code_of(set_shard_owner(*admin, "c", now->map[2], "bad/id"))
             == errc::invalid_argument);
}

BOOST_AUTO_TEST_CASE(concurrent_assignments_lose_no_epoch) {
  // Two admins assign the same clusters at once, several times over: each
  // shard ends owned by a live member at epoch 1 with exactly one write
  // (znode version 1) -- a lost or doubled change would show as another
  // epoch or version, or as an epoch that disagrees with the version.
  auto second_admin = test::open_session(zk);
  auto n1 = test::open_session(zk);
  auto n2 = test::open_session(zk);
  for (int round = 0; round < 5; ++round) {
    auto name = "c" + std::to_string(round);
    BOOST_REQUIRE(!create_cluster(*admin, name, 64));
    BOOST_REQUIRE(!register_member(*n1, name, "n1", "127.0.0.1:7001"));
    BOOST_REQUIRE(!register_member(*n2, name, "n2", "127.0.0.1:7002"));
    caf::error first_err;
    caf::error second_err;
    std::thread t1{[&] {
      if (auto r = assign_unowned(*admin, name); !r)
        first_err = r.error();
    }};
    std::thread t2{[&] {
      if (auto r = assign_unowned(*second_admin, name); !r)
        second_err = r.error();
    }};
    t1.join();
    t2.join();
    BOOST_TEST(!first_err, to_string(first_err));
    BOOST_TEST(!second_err, to_string(second_err));
    auto view = read_cluster(*admin, name);
    BOOST_REQUIRE(view);
    for (auto& e : view->map) {
      BOOST_TEST(view->is_live(e.record.owner));
      BOOST_TEST(e.record.epoch == 1u);
      BOOST_TEST(e.zk_version == 1);
    }
    BOOST_TEST((shards_per_owner(*view)
                == std::map<std::string, int>{{"n1", 32}, {"n2", 32}}));
  }
}

BOOST_AUTO_TEST_SUITE_END()
