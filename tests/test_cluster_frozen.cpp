// A frozen node (issue 12): 3 real entactd nodes on a real ZooKeeper, one
// of them SIGSTOPped. Its kernel still completes TCP handshakes, so a dial
// to it never fails by itself: the cluster client's connect deadline ends
// it, and the dial is made outside the client's lock, so calls on the
// other nodes' shards are served meanwhile. Once the frozen node's session
// expires its shards answer `unavailable` at once (no member); after
// SIGCONT it registers again, serves, and every acknowledged write is
// there. No timing is asserted beyond "before the call's own deadline".
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <thread>

#include "support/proc_sockets.hpp"
#include "support/three_nodes.hpp"

using namespace entact;
using namespace std::chrono_literals;
using test::three_nodes;

namespace {

/// Long enough that the frozen member outlives the first checks; the
/// test's ZooKeeper ticks every second, granting sessions up to 20 s.
constexpr int session_ms = 15000;
constexpr int zk_tick_ms = 1000;

/// What a call on a frozen node's shard may end with: refused before
/// anything was sent, lost in flight, or past its deadline.
bool frozen_failure(errc code) {
  return code == errc::unavailable || code == errc::unreachable
         || code == errc::timeout;
}

/// `get(id)`'s code, and whether it came before the call's deadline.
struct timed_code {
  errc code = errc::none;
  bool before_deadline = false;
};

timed_code timed_get(database& db, const std::string& id,
                     std::chrono::milliseconds deadline) {
  auto started = std::chrono::steady_clock::now();
  auto r = db.get(id);
  auto took = std::chrono::steady_clock::now() - started;
  return {r ? errc::none : code_of(r.error()), took < deadline};
}

/// Ids of `owner`'s shards past the first two (those `ids_of_all` takes).
std::vector<std::string> more_ids_of(const three_nodes& c,
                                     const std::string& owner) {
  auto ids = c.ids_of(owner, 4);
  return {ids.begin() + 2, ids.end()};
}

} // namespace

BOOST_AUTO_TEST_SUITE(cluster_frozen)

BOOST_AUTO_TEST_CASE(a_frozen_node_stalls_only_its_own_shards) {
  test::zookeeper_process zk{zk_tick_ms};
  three_nodes c{"frozen", session_ms, zk};
  auto all = c.ids_of_all();
  auto on_n1 = c.ids_of("n1", 2);
  std::vector<std::string> others;
  for (auto& node : {"n2", "n3"})
    for (auto& id : c.ids_of(node, 2))
      others.push_back(id);
  auto db = c.connect();
  test::acked_writer before{*db, all};
  BOOST_REQUIRE(test::wait_acks(before, all, {}, 3));
  before.stop();

  c.nodes.at("n1")->pause(); // SIGSTOP: its kernel still accepts
  auto port_n1 = c.nodes.at("n1")->port();

  // A dial to the frozen node that has not ended (its deadline is longer
  // than the test) does not hold up calls on the other nodes: they are
  // answered while it waits in the frozen node's accept queue.
  cluster_client_options patient{test::call_deadline};
  patient.connect_timeout = 120s;
  auto slow = c.connect(patient);
  auto queued = test::accept_backlog(port_n1);
  BOOST_REQUIRE(queued >= 0);
  std::atomic<bool> dial_ended{false};
  std::thread dialler{[&] {
    slow->get(on_n1[0]); // any outcome: it ends after SIGCONT
    dial_ended = true;
  }};
  BOOST_TEST(test::wait_until(
    [&] { return test::accept_backlog(port_n1) > queued; }, 30s, 10ms));
  for (auto& id : others)
    BOOST_TEST(test::code_of_get(*slow, id) == errc::none, id);
  BOOST_TEST(!dial_ended.load(), "calls on other nodes waited for the dial");

  // A fresh client, with a short connect deadline: the frozen node's
  // shards end (no hang) before the call's deadline, the others serve.
  cluster_client_options opts{test::call_deadline};
  opts.connect_timeout = 1s;
  // Worst case of one call on the frozen node: a dial per attempt and
  // every redirect pause, (5 + 1) x 1 s + 1.55 s, well under 20 s.
  auto fresh = c.connect(opts);
  for (auto& id : on_n1) {
    auto r = timed_get(*fresh, id, opts.request_timeout);
    BOOST_TEST(frozen_failure(r.code), id << ": " << r.code);
    BOOST_TEST(r.before_deadline, id);
  }
  auto write = fresh->update(on_n1[1], 1, "x");
  BOOST_TEST(!write);
  if (!write) // (no REQUIRE while the dialler runs: it must be joined)
    BOOST_TEST(frozen_failure(code_of(write.error())),
               to_string(write.error()));
  for (auto& id : others)
    BOOST_TEST(test::code_of_get(*fresh, id) == errc::none, id);
  std::vector<std::string> during;
  for (auto& node : {"n2", "n3"})
    for (auto& id : more_ids_of(c, node))
      during.push_back(id);
  test::acked_writer while_frozen{*fresh, during};
  BOOST_TEST(test::wait_acks(while_frozen, during, {}, 3));

  // Its session expires and its member znode goes: the map follower sees
  // it, and its shards answer `unavailable` without a dial.
  BOOST_TEST(test::wait_until(
    [&] {
      auto v = cluster::read_cluster(*c.admin, c.name);
      return v && !v->is_live("n1");
    },
    30s, 20ms));
  for (auto& id : on_n1) {
    auto r = timed_get(*fresh, id, opts.request_timeout);
    BOOST_TEST(r.code == errc::unavailable, id << ": " << r.code);
    BOOST_TEST(r.before_deadline, id);
  }

  // Thawed: it registers again and serves; the dial that waited ends.
  c.nodes.at("n1")->resume();
  dialler.join();
  BOOST_TEST(test::wait_until(
    [&] { return test::code_of_get(*fresh, on_n1[0]) == errc::none; }, 60s,
    20ms));
  auto made = fresh->create(more_ids_of(c, "n1").front(), "after");
  BOOST_TEST(static_cast<bool>(made));
  while_frozen.stop();
  BOOST_TEST(while_frozen.check(*fresh) == "");
  BOOST_TEST(while_frozen.strange() == 0u);
  for (auto& id : during)
    BOOST_TEST(while_frozen.log_of(id).failures.empty(), id);
  BOOST_TEST(before.check(*fresh) == "");
  BOOST_TEST(before.strange() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
