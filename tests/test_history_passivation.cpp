#include <boost/test/unit_test.hpp>

#include "history/endpoints.hpp"
#include "history/expect.hpp"

// Linearizability of every key (issue 15) under passivation pressure: three
// shared entities, at most one or two resident and idle ones passivated
// after a few ms, so entity actors come and go between and during calls.

using namespace entact;
using namespace entact::test::history;

namespace {

campaign run(int threads, size_t cap, int rounds) {
  return record_embedded("passivation (cap " + std::to_string(cap) + "), "
                           + std::to_string(threads) + " threads",
                         history_options(cap), spread(threads, 320),
                         rounds_for(rounds));
}

} // namespace

BOOST_AUTO_TEST_SUITE(history_passivation)

BOOST_AUTO_TEST_CASE(four_threads_one_resident) {
  expect_linearizable(run(4, 1, 8), 8);
}

BOOST_AUTO_TEST_CASE(eight_threads_two_resident) {
  expect_linearizable(run(8, 2, 8), 8);
}

BOOST_AUTO_TEST_CASE(sixteen_threads_one_resident) {
  expect_linearizable(run(16, 1, 8), 8);
}

BOOST_AUTO_TEST_SUITE_END()
