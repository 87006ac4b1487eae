#include <boost/test/unit_test.hpp>

#include "history/endpoints.hpp"
#include "history/expect.hpp"

// Linearizability of every key (issue 15) through entactd: 4, 8 and 16
// threads share a few clients of a real server process, plainly and with
// passivation pressure on the server.

using namespace entact;
using namespace entact::test::history;

namespace {

campaign run(int threads, bool pressure, int rounds) {
  std::vector<std::string> args{"--no-sync"};
  if (pressure) {
    args.push_back("--resident-cap=1");
    args.push_back("--idle-timeout-ms=3");
  }
  return record_remote(std::string{"remote"}
                         + (pressure ? " with passivation" : "") + ", "
                         + std::to_string(threads) + " threads",
                       args, std::min(threads, 4), spread(threads, 200),
                       rounds_for(rounds));
}

} // namespace

BOOST_AUTO_TEST_SUITE(history_remote)

BOOST_AUTO_TEST_CASE(four_threads) {
  expect_linearizable(run(4, false, 4), 4);
}

BOOST_AUTO_TEST_CASE(eight_threads_with_passivation) {
  expect_linearizable(run(8, true, 4), 4);
}

BOOST_AUTO_TEST_CASE(sixteen_threads) {
  expect_linearizable(run(16, false, 4), 4);
}

BOOST_AUTO_TEST_SUITE_END()
