#include <boost/test/unit_test.hpp>

#include "history/endpoints.hpp"
#include "history/expect.hpp"

// Linearizability of every key (issue 15) with 4, 8 and 16 threads on three
// shared entities of an embedded engine, mixing every kind of call.

using namespace entact;
using namespace entact::test::history;

namespace {

campaign run(int threads, int rounds) {
  return record_embedded("embedded, " + std::to_string(threads) + " threads",
                         history_options(), spread(threads, 320),
                         rounds_for(rounds));
}

} // namespace

BOOST_AUTO_TEST_SUITE(history_embedded)

BOOST_AUTO_TEST_CASE(four_threads) {
  expect_linearizable(run(4, 8), 8);
}

BOOST_AUTO_TEST_CASE(eight_threads) {
  expect_linearizable(run(8, 8), 8);
}

BOOST_AUTO_TEST_CASE(sixteen_threads) {
  expect_linearizable(run(16, 8), 8);
}

BOOST_AUTO_TEST_SUITE_END()
