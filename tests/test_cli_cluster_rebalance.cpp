// `entact cluster rebalance`: its plan as a pure function (no process),
// then the real CLI binary against a real ZooKeeper -- with members that
// are sessions of the test (the plan, --dry-run, refusals, a move that
// never ends stopping the rebalance), and with real entactd nodes: 2 nodes
// own every shard, a 3rd joins and rebalance moves its share to it while
// the shards are written, then --drain empties a node. Every acknowledged
// write is read back through connect_cluster, and no read goes back.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include <nlohmann/json.hpp>

#include "entact/cluster/cluster_admin.hpp"
#include "entact/cluster/move_admin.hpp"
#include "entact/cluster/rebalance_plan.hpp"
#include "support/acked_writer.hpp"
#include "support/cluster_fixture.hpp"
#include "support/move_helpers.hpp"
#include "support/move_traffic.hpp"
#include "support/run_command.hpp"
#include "support/server_process.hpp"
#include "support/three_nodes.hpp"

using namespace entact;
using namespace entact::cluster;
using namespace std::chrono_literals;

using test::shared_zookeeper;

namespace {

/// A view of shards owned by `owners` ("" for none) with live `members`.
cluster_view view_of(const std::vector<std::string>& owners,
                     std::vector<std::string> members) {
  cluster_view v;
  v.name = "c";
  v.shards = static_cast<uint32_t>(owners.size());
  std::sort(members.begin(), members.end());
  for (auto& m : members)
    v.members.push_back(member{m, "127.0.0.1:7001"});
  for (uint32_t s = 0; s < owners.size(); ++s)
    v.map.push_back(shard_entry{s, shard_record{owners[s], 1}, 1});
  return v;
}

/// Shards per live owner once `plan` ran on `view`; checks that each move
/// takes its shard from its owner then, and that no shard moves twice.
std::map<std::string, uint32_t> after(const cluster_view& view,
                                      const rebalance_plan& plan) {
  std::vector<std::string> owners;
  for (auto& e : view.map)
    owners.push_back(e.record.owner);
  std::set<uint32_t> moved;
  for (auto& m : plan.moves) {
    BOOST_TEST(owners.at(m.shard) == m.from);
    BOOST_TEST(moved.insert(m.shard).second, "shard " << m.shard);
    BOOST_TEST(view.is_live(m.to));
    owners.at(m.shard) = m.to;
  }
  std::map<std::string, uint32_t> count;
  for (auto& m : view.members)
    count[m.node_id] = 0;
  for (auto& o : owners)
    if (view.is_live(o))
      ++count[o];
  return count;
}

using moves_t = std::vector<std::tuple<uint32_t, std::string, std::string>>;

moves_t moves_of(const rebalance_plan& plan) {
  moves_t out;
  for (auto& m : plan.moves)
    out.emplace_back(m.shard, m.from, m.to);
  return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(rebalance_plan_cases)

BOOST_AUTO_TEST_CASE(a_balanced_map_needs_no_move) {
  auto view = view_of({"n1", "n2", "n1", "n2", "n1"}, {"n1", "n2"});
  auto plan = plan_rebalance(view);
  BOOST_REQUIRE(plan);
  BOOST_TEST(plan->moves.empty());
  BOOST_TEST(plan->unavailable.empty());
  BOOST_TEST(plan->unowned.empty());
  BOOST_TEST((plan->shares
              == std::map<std::string, uint32_t>{{"n1", 3}, {"n2", 2}}));
}

BOOST_AUTO_TEST_CASE(a_joining_node_gets_its_share_from_the_fullest) {
  auto view = view_of({"n1", "n2", "n1", "n2", "n1", "n2"},
                      {"n1", "n2", "n3"});
  auto plan = plan_rebalance(view);
  BOOST_REQUIRE(plan);
  // Each of n1 and n2 gives its last shard: 2 moves, the fewest.
  BOOST_TEST((moves_of(*plan) == moves_t{{4, "n1", "n3"}, {5, "n2", "n3"}}));
  BOOST_TEST((after(view, *plan)
              == std::map<std::string, uint32_t>{
                {"n1", 2}, {"n2", 2}, {"n3", 2}}));
  // The same input, the same plan.
  BOOST_TEST((moves_of(*plan_rebalance(view)) == moves_of(*plan)));
  // Uneven: the member owning the most keeps the larger share.
  auto uneven = view_of({"n2", "n2", "n2", "n1", "n2", "n2", "n1"},
                        {"n1", "n2", "n3"});
  auto p = plan_rebalance(uneven);
  BOOST_REQUIRE(p);
  BOOST_TEST(p->moves.size() == 2u);
  BOOST_TEST((after(uneven, *p)
              == std::map<std::string, uint32_t>{
                {"n1", 2}, {"n2", 3}, {"n3", 2}}));
}

BOOST_AUTO_TEST_CASE(a_drained_node_gives_away_everything_first) {
  // n3 owns 4 of 6, n1 none: n1 fills up from the drained n2 first.
  auto view = view_of({"n3", "n2", "n3", "n3", "n2", "n3"},
                      {"n1", "n2", "n3"});
  auto plan = plan_rebalance(view, {"n2"});
  BOOST_REQUIRE(plan);
  BOOST_TEST((moves_of(*plan)
              == moves_t{{1, "n2", "n1"}, {4, "n2", "n1"}, {5, "n3", "n1"}}));
  BOOST_TEST((plan->shares == std::map<std::string, uint32_t>{
                                {"n1", 3}, {"n2", 0}, {"n3", 3}}));
  BOOST_TEST((after(view, *plan) == plan->shares));
}

BOOST_AUTO_TEST_CASE(shards_of_a_dead_owner_and_unowned_ones_stay) {
  // n4 is not live: a move copies from the owner, so its shards wait for
  // it; the balance is of the shards live members own.
  auto view = view_of({"n4", "n1", "", "n1", "n4", "n1"}, {"n1", "n2"});
  auto plan = plan_rebalance(view);
  BOOST_REQUIRE(plan);
  BOOST_REQUIRE(plan->unavailable.size() == 2u);
  BOOST_TEST(plan->unavailable[0].shard == 0u);
  BOOST_TEST(plan->unavailable[0].owner == "n4");
  BOOST_TEST(plan->unavailable[1].shard == 4u);
  BOOST_TEST((plan->unowned == std::vector<uint32_t>{2}));
  BOOST_TEST((moves_of(*plan) == moves_t{{5, "n1", "n2"}}));
  // Draining a node that is down moves nothing of it.
  auto drained = plan_rebalance(view, {"n4"});
  BOOST_REQUIRE(drained);
  BOOST_TEST(drained->unavailable.size() == 2u);
  BOOST_TEST((moves_of(*drained) == moves_of(*plan)));
}

BOOST_AUTO_TEST_CASE(nowhere_to_go_is_an_error_nothing_to_move_is_not) {
  auto view = view_of({"n1", "n1"}, {"n1"});
  auto plan = plan_rebalance(view, {"n1"});
  BOOST_REQUIRE(!plan);
  BOOST_TEST(code_of(plan.error()) == errc::unavailable);
  auto none = plan_rebalance(view_of({"", "n9"}, {"n1"}), {"n1"});
  BOOST_REQUIRE(none);
  BOOST_TEST(none->moves.empty());
  auto empty = plan_rebalance(view_of({"n1", ""}, {}));
  BOOST_REQUIRE(empty);
  BOOST_TEST(empty->moves.empty());
  BOOST_TEST(empty->unavailable.size() == 1u);
}

BOOST_AUTO_TEST_CASE(random_maps_end_balanced_with_the_fewest_moves) {
  std::mt19937 rng{13};
  auto pick = [&](int n) {
    return std::uniform_int_distribution<int>{0, n - 1}(rng);
  };
  for (int round = 0; round < 500; ++round) {
    std::vector<std::string> nodes{"a", "b", "c", "d", "e", "f"};
    auto live_count = 1 + pick(5);
    std::vector<std::string> live(nodes.begin(), nodes.begin() + live_count);
    std::set<std::string> drain;
    if (live_count > 1 && pick(3) == 0)
      drain.insert(live[static_cast<size_t>(pick(live_count))]);
    std::vector<std::string> owners(static_cast<size_t>(1 + pick(40)));
    for (auto& o : owners)
      o = pick(8) == 0 ? "" : nodes[static_cast<size_t>(pick(6))];
    auto view = view_of(owners, live);
    auto plan = plan_rebalance(view, drain);
    BOOST_REQUIRE(plan);
    auto count = after(view, *plan);
    // The shards live members own now: `leaving` on drained ones, the
    // rest on those that keep shards (`loads`).
    uint32_t leaving = 0;
    std::map<std::string, uint32_t> loads;
    for (auto& m : view.members)
      if (drain.count(m.node_id) == 0)
        loads[m.node_id] = 0;
    for (auto& o : owners)
      if (view.is_live(o) && drain.count(o))
        ++leaving;
      else if (view.is_live(o))
        ++loads[o];
    uint32_t total = leaving;
    for (auto& [node, n] : loads)
      total += n;
    auto keepers = static_cast<uint32_t>(loads.size());
    uint32_t lo = total / keepers;
    uint32_t larger = total % keepers;
    for (auto& [node, n] : count)
      if (drain.count(node))
        BOOST_TEST(n == 0u, node);
      else
        BOOST_TEST((n == lo || (larger > 0 && n == lo + 1)),
                   node << " owns " << n);
    // The fewest moves: every shard of a drained node, each shard beyond
    // lo + 1 of a keeper, and one more from each keeper above lo that
    // cannot have one of the `larger` shares.
    uint32_t above = 0;
    uint32_t beyond = 0;
    for (auto& [node, n] : loads)
      if (n > lo) {
        ++above;
        beyond += n - lo - 1;
      }
    auto fewest = leaving + beyond + (above > larger ? above - larger : 0);
    BOOST_TEST(plan->moves.size() == fewest, "round " << round);
  }
}

BOOST_AUTO_TEST_SUITE_END()

namespace {

test::command_result cli(const std::string& cluster_name,
                         std::vector<std::string> args,
                         std::chrono::milliseconds limit = 120s) {
  args.insert(args.begin(), {ENTACT_CLI_PATH, "cluster"});
  args.push_back("--zk=" + shared_zookeeper::server().hosts());
  args.push_back("--cluster=" + cluster_name);
  return test::run_command(args, limit);
}

std::map<std::string, int> shards_per_owner(const cluster_view& view) {
  std::map<std::string, int> count;
  for (auto& e : view.map)
    ++count[e.record.owner];
  return count;
}

std::vector<std::pair<std::string, uint64_t>> map_of(zk_session& admin,
                                                     const std::string& name) {
  auto v = read_cluster(admin, name);
  if (!v)
    throw std::runtime_error(to_string(v.error()));
  std::vector<std::pair<std::string, uint64_t>> out;
  for (auto& e : v->map)
    out.emplace_back(e.record.owner, e.record.epoch);
  return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(cli_cluster_rebalance,
                      *boost::unit_test::fixture<shared_zookeeper>())

BOOST_AUTO_TEST_CASE(plan_dry_run_refusals_and_a_stop) {
  auto& zk = shared_zookeeper::server();
  auto admin = test::open_session(zk);
  const std::string name = "rb_plan";
  BOOST_REQUIRE(!create_cluster(*admin, name, 4));
  auto n1 = test::open_session(zk);
  auto n2 = test::open_session(zk);
  BOOST_REQUIRE(!register_member(*n1, name, "n1", "127.0.0.1:7001"));
  BOOST_REQUIRE(!register_member(*n2, name, "n2", "127.0.0.1:7002"));
  BOOST_REQUIRE(assign_unowned(*admin, name)); // n1: 0, 2; n2: 1, 3
  auto n3 = test::open_session(zk);
  BOOST_REQUIRE(!register_member(*n3, name, "n3", "127.0.0.1:7003"));
  auto before = map_of(*admin, name);

  auto dry = cli(name, {"rebalance", "--dry-run"});
  BOOST_TEST(dry.exit_code == 0, dry.err);
  BOOST_TEST(dry.out
               == "rebalance of rb_plan: 4 shards, 3 live members, 1 moves\n"
                  "move shard 3: n2 -> n3\n"
                  "shares after: n1 2 n2 1 n3 1\n"
                  "dry run: nothing moved\n",
             dry.out);
  auto json = cli(name, {"rebalance", "--dry-run", "--drain=n1", "--json"});
  BOOST_TEST(json.exit_code == 0, json.err);
  auto j = nlohmann::json::parse(json.out);
  BOOST_TEST(j["dry_run"] == true);
  BOOST_REQUIRE(j["plan"].size() == 2u);
  BOOST_TEST(j["plan"][0] == (nlohmann::json{{"shard", 0}, {"from", "n1"},
                                             {"to", "n3"}}));
  BOOST_TEST(j["plan"][1]["shard"] == 2);
  BOOST_TEST(j["shares"] == (nlohmann::json{{"n1", 0}, {"n2", 2}, {"n3", 2}}));
  BOOST_TEST(j["moved"].empty());

  // Refused, each with its reason and exit code.
  BOOST_REQUIRE(!set_shard_owner(*admin, name, read_cluster(*admin, name)->map[1],
                                 "n4")); // a node that is down
  before = map_of(*admin, name);
  struct refusal {
    std::vector<std::string> args;
    int code;
    std::string says;
  };
  for (auto& r : std::vector<refusal>{
         {{"rebalance", "--drain=a/b"}, 64, "--drain"},
         {{"rebalance", "--wait-ms=86400001"}, 64, "--wait-ms"},
         {{"rebalance", "--drain=n4"}, 3, "cannot drain n4"}}) {
    auto out = cli(name, r.args);
    BOOST_TEST(out.exit_code == r.code, out.err);
    BOOST_TEST(out.err.find(r.says) != std::string::npos, out.err);
  }
  auto stranded = cli(name, {"rebalance", "--dry-run"});
  BOOST_TEST(stranded.exit_code == 0, stranded.err);
  BOOST_TEST(stranded.out.find("shard 1: unavailable, owner n4 down")
               != std::string::npos,
             stranded.out);
  BOOST_TEST((map_of(*admin, name) == before));
  BOOST_TEST(read_moves(*admin, name)->empty());

  // No node carries a move out here: the first one never ends, and the
  // rebalance stops there with the move still in progress.
  // n1: 0, 2; n4: 1; n2: 3 -- n3 gets n1's last shard.
  auto stopped = cli(name, {"rebalance", "--wait-ms=300"});
  BOOST_TEST(stopped.exit_code == 1, stopped.err);
  BOOST_TEST(stopped.err.find("rebalance stopped at the move of shard 2 (n1 "
                              "-> n3) after 0 of 1 moves")
               != std::string::npos,
             stopped.err);
  BOOST_TEST(stopped.err.find("still in progress") != std::string::npos,
             stopped.err);
  auto moves = read_moves(*admin, name);
  BOOST_REQUIRE(moves);
  BOOST_REQUIRE(moves->size() == 1u);
  BOOST_TEST(moves->front().shard == 2u);
  BOOST_TEST(moves->front().record.to == "n3");
  // Run again, it waits for that move first.
  auto again = cli(name, {"rebalance", "--wait-ms=300", "--json"});
  BOOST_TEST(again.exit_code == 1, again.err);
  BOOST_TEST(nlohmann::json::parse(again.out)["error"] == "timeout");
  BOOST_TEST(!abort_move(*admin, name, 2));
  BOOST_TEST((map_of(*admin, name) == before));
}

BOOST_AUTO_TEST_CASE(a_joining_node_gets_its_share_under_writes_then_a_drain) {
  auto& zk = shared_zookeeper::server();
  auto admin = test::open_session(zk);
  const std::string name = "rb_join";
  constexpr uint32_t shards = 6;
  BOOST_REQUIRE(!create_cluster(*admin, name, shards));
  auto node = [&](const std::string& id) {
    return std::make_unique<test::server_process>(std::vector<std::string>{
      "--cluster=" + zk.hosts() + "/" + name, "--node-id=" + id,
      "--cluster-session-timeout-ms=2000", "--cluster-min-members=2"});
  };
  auto n1 = node("n1");
  auto n2 = node("n2");
  auto view = test::wait_all_owned(*admin, name);
  BOOST_TEST((shards_per_owner(view)
              == std::map<std::string, int>{{"n1", 3}, {"n2", 3}}));

  cluster_client_options opts{test::call_deadline};
  auto db = connect_cluster(zk.hosts() + "/" + name, opts);
  auto reader_db = connect_cluster(zk.hosts() + "/" + name, opts);
  BOOST_REQUIRE(db);
  BOOST_REQUIRE(reader_db);
  std::vector<std::string> versioned;
  std::vector<std::string> counters;
  for (uint32_t s = 0; s < shards; ++s) {
    versioned.push_back(test::ids_in_shard("acct/", s, shards, 1).front());
    counters.push_back(test::ids_in_shard("count/", s, shards, 1).front());
  }
  for (auto& id : counters)
    BOOST_REQUIRE((*db)->create(id, "0"));
  auto all = versioned;
  all.insert(all.end(), counters.begin(), counters.end());
  test::acked_writer writer{**db, versioned};
  test::counter_adder adder{**db, counters};
  test::monotonic_reader reader{**reader_db, all};
  BOOST_REQUIRE(test::wait_acks(writer, versioned, {}, 3));

  auto n3 = node("n3");
  BOOST_REQUIRE(test::wait_until(
    [&] {
      auto v = read_cluster(*admin, name);
      return v && v->is_live("n3");
    },
    30s));
  auto joined = cli(name, {"rebalance", "--wait-ms=60000"});
  BOOST_TEST_MESSAGE("rebalance after the join took "
                     << joined.elapsed.count() << " ms");
  BOOST_TEST(joined.exit_code == 0, joined.err);
  BOOST_TEST(joined.out.find("rebalanced: 2 moves") != std::string::npos,
             joined.out);
  auto even = read_cluster(*admin, name);
  BOOST_REQUIRE(even);
  BOOST_TEST((shards_per_owner(*even)
              == std::map<std::string, int>{{"n1", 2}, {"n2", 2}, {"n3", 2}}));
  for (auto& e : even->map)
    BOOST_TEST(e.record.epoch
                 == view.map[e.shard].record.epoch
                      + (e.record.owner == "n3" ? 1 : 0),
               "shard " << e.shard);
  // Balanced: run again, nothing moves.
  auto twice = cli(name, {"rebalance", "--json"});
  BOOST_TEST(twice.exit_code == 0, twice.err);
  BOOST_TEST(nlohmann::json::parse(twice.out)["plan"].empty(), twice.out);
  BOOST_TEST(test::wait_acks(writer, versioned,
                             test::acks_now(writer, versioned), 3));

  auto drained = cli(name, {"rebalance", "--drain=n1", "--wait-ms=60000"});
  BOOST_TEST(drained.exit_code == 0, drained.err);
  BOOST_TEST(drained.out.find("rebalanced: 2 moves") != std::string::npos,
             drained.out);
  auto after_drain = read_cluster(*admin, name);
  BOOST_REQUIRE(after_drain);
  BOOST_TEST((shards_per_owner(*after_drain)
              == std::map<std::string, int>{{"n2", 3}, {"n3", 3}}));
  BOOST_TEST(test::wait_acks(writer, versioned,
                             test::acks_now(writer, versioned), 3));
  writer.stop();
  adder.stop();
  reader.stop();

  BOOST_TEST(writer.check(**db) == "");
  BOOST_TEST(writer.strange() == 0u);
  for (auto& id : counters) {
    auto r = (*db)->get(id);
    BOOST_REQUIRE_MESSAGE(r, (r ? "" : to_string(r.error())));
    auto value = std::stoull(r->value);
    // Every acknowledged add is there once; an add lost in flight may be.
    BOOST_TEST(value >= adder.acked(id), id);
    BOOST_TEST(value <= adder.acked(id) + adder.unknown(id), id);
  }
  BOOST_TEST(reader.reads() > 0u);
  BOOST_TEST(reader.backwards() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
