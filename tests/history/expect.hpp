#pragma once

// What every history test asserts about its campaign (Boost.Test).

#include <boost/test/unit_test.hpp>

#include <cstdint>

#include "history/campaign.hpp"

namespace entact::test::history {

/// The campaign was linearizable on every key, the checker decided every
/// key, no worker stopped early, and every kind of call was made at least
/// `min_calls` times (writes succeeding at least once): a history test
/// that recorded nothing would pass without showing anything.
inline void expect_linearizable(const campaign& c, uint64_t min_calls) {
  BOOST_TEST_MESSAGE(c.summary());
  BOOST_CHECK_MESSAGE(c.stopped == 0, c.name << ": " << c.stopped
                                             << " workers stopped early");
  for (int a = 0; a < api_count; ++a) {
    auto what = static_cast<api>(a);
    BOOST_CHECK_MESSAGE(c.counts.calls(what) >= min_calls,
                        c.name << ": only " << c.counts.calls(what) << " "
                               << to_string(what) << " calls, expected "
                               << min_calls);
    BOOST_CHECK_MESSAGE(c.counts.of(what, ending::ok) > 0,
                        c.name << ": no " << to_string(what)
                               << " call succeeded");
  }
  BOOST_CHECK_MESSAGE(c.undecided_rounds == 0,
                      c.name << ": the checker's step budget ran out in "
                             << c.undecided_rounds
                             << " rounds: no verdict\n"
                             << c.reports);
  BOOST_CHECK_MESSAGE(c.failed_rounds == 0,
                      c.name << ": NOT linearizable in " << c.failed_rounds
                             << " of " << c.rounds << " rounds ("
                             << c.real_time_rounds << " in real time)\n"
                             << c.reports);
}

} // namespace entact::test::history
