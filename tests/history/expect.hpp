#pragma once

// What every history test asserts about its campaign (Boost.Test).

#include <boost/test/unit_test.hpp>

#include <cstdint>

#include "history/campaign.hpp"

namespace entact::test::history {

/// The campaign was linearizable on every key, the checker decided every
/// key, no worker stopped early, every kind of call was made with a known
/// outcome (ok or refused) at least `min_calls` times, and at least that
/// many reads and writes succeeded: a history test that recorded nothing
/// would pass without showing anything. (A kind may still never succeed:
/// under contention a create mostly finds the entity there.)
inline void expect_linearizable(const campaign& c, uint64_t min_calls) {
  BOOST_TEST_MESSAGE(c.summary());
  BOOST_CHECK_MESSAGE(c.stopped == 0, c.name << ": " << c.stopped
                                             << " workers stopped early");
  uint64_t reads_ok = 0;
  uint64_t writes_ok = 0;
  for (int a = 0; a < api_count; ++a) {
    auto what = static_cast<api>(a);
    auto ok = c.counts.of(what, ending::ok);
    auto decided = ok + c.counts.of(what, ending::refused);
    BOOST_CHECK_MESSAGE(decided >= min_calls,
                        c.name << ": only " << decided << " "
                               << to_string(what)
                               << " calls with a known outcome, expected "
                               << min_calls);
    auto is_read = what == api::get || what == api::read
                   || what == api::read_many;
    (is_read ? reads_ok : writes_ok) += ok;
  }
  BOOST_CHECK_MESSAGE(reads_ok >= min_calls && writes_ok >= min_calls,
                      c.name << ": only " << reads_ok << " reads and "
                             << writes_ok << " writes succeeded");
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
