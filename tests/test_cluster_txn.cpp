// Cross-node transactions through `connect_cluster` (README, "Cross-node
// transactions") on 3 real entactd nodes and a real ZooKeeper: transfers
// between accounts on different nodes from several threads keep the total
// exact and bump exactly two versions each, leave no lock and nothing
// prepared; a stale batch across nodes writes nothing anywhere; a
// participant SIGKILLed and restarted during a stream of transfers.

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <random>
#include <thread>

#include "entact/conflict.hpp"
#include "support/cross_node_cluster.hpp"

using namespace entact;
using namespace entact::test;
using namespace std::chrono_literals;

using test::shared_zookeeper;
BOOST_TEST_GLOBAL_FIXTURE(shared_zookeeper);

namespace {

/// Two accounts per node, 100 each.
std::vector<std::string> open_accounts(cross_node_cluster& c, database& db) {
  std::vector<std::string> all;
  for (auto& node : c.node_ids)
    for (auto& id : c.ids_of(node, 2)) {
      auto made = db.create(id, "100");
      if (!made)
        throw std::runtime_error(id + ": " + to_string(made.error()));
      all.push_back(id);
    }
  return all;
}

std::string owner_of(cross_node_cluster& c, const std::string& id) {
  return c.view.map[cluster::shard_of(id, c.shards)].record.owner;
}

uint64_t versions_past_first(database& db, const std::vector<std::string>& ids) {
  uint64_t n = 0;
  for (auto& id : ids)
    n += db.get(id)->version - 1;
  return n;
}

} // namespace

BOOST_AUTO_TEST_CASE(cross_node_transfers_keep_the_total_and_leave_no_lock) {
  cross_node_cluster c{"txn_transfers"};
  auto db = c.connect();
  auto all = open_accounts(c, *db);
  std::atomic<uint64_t> committed{0};
  std::atomic<uint64_t> bad{0};
  std::vector<std::thread> threads;
  auto started = std::chrono::steady_clock::now();
  for (int t = 0; t < 3; ++t)
    threads.emplace_back([&, t] {
      std::mt19937 rng(t);
      for (int i = 0; i < 25; ++i) {
        auto from = all[rng() % all.size()];
        auto to = all[rng() % all.size()];
        if (owner_of(c, from) == owner_of(c, to))
          continue;
        auto r = transfer(*db, from, to, 1 + rng() % 7);
        if (r) {
          ++committed;
          // The answer: both records, each one version past the locked.
          if (r->size() != 2 || r->at(0).id != from || r->at(1).id != to)
            ++bad;
        } else if (code_of(r.error()) != errc::retries_exhausted) {
          ++bad;
          BOOST_TEST_MESSAGE("transfer: " << to_string(r.error()));
        }
      }
    });
  for (auto& t : threads)
    t.join();
  // For the record only (never asserted): the rate on this machine.
  auto took = std::chrono::duration<double>(std::chrono::steady_clock::now()
                                            - started);
  BOOST_TEST_MESSAGE(committed.load() << " cross-node transfers in "
                                      << took.count() << " s");
  BOOST_TEST(bad.load() == 0u);
  BOOST_TEST(committed.load() > 0u);
  BOOST_TEST(total_of(*db, all) == 100 * static_cast<long>(all.size()));
  // Each transfer bumped exactly two versions.
  BOOST_TEST(versions_past_first(*db, all) == 2 * committed.load());
  auto stats = cluster_txn_stats_of(*db);
  BOOST_REQUIRE(stats.has_value());
  BOOST_TEST(stats->two_phase == committed.load());
  BOOST_TEST(stats->in_doubt == 0u);
  // No lock left: every account locked and written at once; nothing
  // prepared anywhere.
  auto touched = touch_all(*db, all);
  BOOST_TEST(touched.engaged(), (touched ? "" : to_string(touched.error())));
  BOOST_TEST(c.prepared_count() == 0);
  // Two ids of one node take the one-phase path.
  auto same = c.ids_of("n2", 2);
  auto before = cluster_txn_stats_of(*db)->one_phase;
  BOOST_TEST(transfer(*db, same[0], same[1], 5).engaged());
  BOOST_TEST(cluster_txn_stats_of(*db)->one_phase == before + 1);
  BOOST_TEST(total_of(*db, all) == 100 * static_cast<long>(all.size()));
}

BOOST_AUTO_TEST_CASE(a_stale_batch_across_nodes_writes_nothing_anywhere) {
  cross_node_cluster c{"txn_batch"};
  auto db = c.connect();
  auto a = c.ids_of("n1", 1).front();
  auto b = c.ids_of("n3", 1).front();
  BOOST_REQUIRE(db->create(a, "a1"));
  BOOST_REQUIRE(db->create(b, "b1"));
  auto stale = db->apply_batch(
    {write_op::update(a, 1, "a2"), write_op::update(b, 7, "b2")});
  BOOST_REQUIRE(!stale);
  BOOST_TEST(code_of(stale.error()) == errc::conflict);
  auto payload = conflict_of(stale.error());
  BOOST_REQUIRE(payload.has_value());
  BOOST_TEST(payload->id == b);
  BOOST_TEST(payload->expected_version == 7u);
  BOOST_TEST(payload->stored.version == 1u);
  BOOST_TEST(payload->attempted_value == "b2");
  BOOST_TEST(db->get(a)->value == "a1");
  BOOST_TEST(db->get(a)->version == 1u);
  BOOST_TEST(db->get(b)->value == "b1");
  // The same batch at the right versions writes both.
  auto fresh = db->apply_batch(
    {write_op::update(a, 1, "a2"), write_op::update(b, 1, "b2")});
  BOOST_REQUIRE_MESSAGE(fresh, (fresh ? "" : to_string(fresh.error())));
  BOOST_TEST(fresh->at(0).version == 2u);
  BOOST_TEST(fresh->at(1).value == "b2");
  BOOST_TEST(db->get(b)->value == "b2");
  BOOST_TEST(c.prepared_count() == 0);
}

BOOST_AUTO_TEST_CASE(a_participant_killed_during_transfers_resolves_when_back) {
  cross_node_cluster c{"txn_participant"};
  auto db = c.connect();
  auto all = open_accounts(c, *db);
  auto on_n1 = c.ids_of("n1", 2);
  auto on_n2 = c.ids_of("n2", 2);
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> committed{0};
  std::thread stream{[&] {
    // n1 holds the decision (first in node order), n2 takes part.
    for (unsigned i = 0; !stop.load(); ++i)
      if (transfer(*db, on_n1[i % 2], on_n2[(i / 2) % 2], 3))
        ++committed;
  }};
  BOOST_REQUIRE(wait_until([&] { return committed.load() >= 5; }, 30s));
  c.nodes.at("n2")->crash();
  c.nodes.at("n2")->restart(); // same data, same port: same 2PC name
  auto back = committed.load();
  BOOST_TEST(wait_until([&] { return committed.load() >= back + 5; }, 60s));
  stop = true;
  stream.join();
  // Whatever was in doubt resolves: nothing prepared, the total exact,
  // every account free.
  BOOST_TEST(c.wait_none_prepared());
  BOOST_TEST(total_of(*db, all) == 100 * static_cast<long>(all.size()));
  auto touched = touch_all(*db, all);
  BOOST_TEST(touched.engaged(), (touched ? "" : to_string(touched.error())));
}
