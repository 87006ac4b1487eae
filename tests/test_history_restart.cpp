#include <boost/test/unit_test.hpp>

#include "history/endpoints.hpp"
#include "history/expect.hpp"

// Linearizability of every key (issue 15) across close/reopen: each round
// runs three phases on the same entities and closes and reopens the engine
// between them, so the entities start again from storage mid-history.

using namespace entact;
using namespace entact::test::history;

namespace {

campaign run(int threads, bool pressure, int rounds) {
  return record_embedded(std::string{"restart"}
                           + (pressure ? " with passivation" : "") + ", "
                           + std::to_string(threads) + " threads",
                         history_options(pressure ? 2 : 0),
                         spread(threads, 120), rounds_for(rounds), 3);
}

} // namespace

BOOST_AUTO_TEST_SUITE(history_restart)

BOOST_AUTO_TEST_CASE(four_threads) {
  expect_linearizable(run(4, false, 4), 8);
}

BOOST_AUTO_TEST_CASE(eight_threads_with_passivation) {
  expect_linearizable(run(8, true, 4), 8);
}

BOOST_AUTO_TEST_CASE(sixteen_threads) {
  expect_linearizable(run(16, false, 4), 8);
}

BOOST_AUTO_TEST_SUITE_END()
