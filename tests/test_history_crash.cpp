#include <boost/test/unit_test.hpp>

#include <string>
#include <utility>
#include <vector>

#include "history/endpoints.hpp"
#include "history/expect.hpp"

// Linearizability of every key (issue 15) across a crash: entactd (sync
// on) is killed with SIGKILL in the middle of every round and restarted on
// its data directory; calls in flight then have unknown outcomes, workers
// reconnect and go on, and the whole history is checked.

using namespace entact;
using namespace entact::test::history;

BOOST_AUTO_TEST_SUITE(history_crash)

namespace {

/// 8 threads through `rounds_for(4)` rounds of an entactd started with
/// `server_args`, killed and restarted in the middle of every round.
void eight_threads_through_kills(const std::string& name,
                                 std::vector<std::string> server_args) {
  workload w;
  w.threads = 8;
  w.moves = 24;
  // About two calls per move: kill once a good third of the round is done.
  auto kill_after = uint64_t(w.threads) * w.moves * 2 * 4 / 10;
  int kills = 0;
  auto c = record_remote(name, std::move(server_args), 4, w, rounds_for(4),
                         [&](remote_endpoint& ep, recording& rec) {
                           if (rec.wait_finished(kill_after,
                                                 std::chrono::seconds{60})
                               && ep.crash_and_restart())
                             ++kills;
                         });
  expect_linearizable(c, 4);
  BOOST_TEST(kills == c.rounds);
  // Writes were in flight at the kills: the checker saw unknown outcomes.
  uint64_t unknown = 0;
  for (auto a : {api::update, api::create, api::erase,
                 api::write_unconditionally, api::apply_async,
                 api::apply_batch, api::transact})
    unknown += c.counts.of(a, ending::unknown);
  BOOST_TEST(unknown > 0u);
}

} // namespace

BOOST_AUTO_TEST_CASE(eight_threads_through_a_kill) {
  eight_threads_through_kills("crash, 8 threads", {});
}

// The same with 2 partitions: the batches and transactions over two keys
// mostly span them (storage/src/span_steps.cpp), and the kills land in
// their steps.
BOOST_AUTO_TEST_CASE(eight_threads_through_a_kill_of_two_partitions) {
  eight_threads_through_kills("crash, 8 threads, 2 partitions",
                              {"--partitions=2"});
}

BOOST_AUTO_TEST_SUITE_END()
