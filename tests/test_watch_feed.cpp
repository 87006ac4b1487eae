// The watch feed's start: how the record read after registration is merged
// with the commits queued since. Deterministic: the feed is driven directly,
// in the orders a slow or a fast first read produce.

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "watch/watch_feed.hpp"

using namespace entact;
using entact::detail::feed_bounds;
using entact::detail::watch_feed;

namespace {

record rec(version_t v) {
  return record{"f/1", v, "v" + std::to_string(v), false};
}

/// (version, lagged) of each event handed out.
std::vector<std::pair<version_t, bool>> delivered(watch_feed& feed) {
  std::vector<std::pair<version_t, bool>> out;
  for (auto& ev : feed.take().events)
    out.emplace_back(ev.rec.version, ev.lagged);
  return out;
}

using seen = std::vector<std::pair<version_t, bool>>;

} // namespace

BOOST_AUTO_TEST_SUITE(watch_feed_start)

// The read came after every write (the deliverer was slow to ask): the
// queued commits are all delivered, none replaced by the read.
BOOST_AUTO_TEST_CASE(a_late_read_does_not_swallow_queued_commits) {
  watch_feed feed{"f/1", 0, feed_bounds{}};
  for (version_t v = 1; v <= 3; ++v)
    feed.push(rec(v));
  feed.start(rec(3));
  BOOST_TEST((delivered(feed) == seen{{1, false}, {2, false}, {3, false}}));
}

BOOST_AUTO_TEST_CASE(the_read_is_the_news_when_nothing_was_queued) {
  watch_feed feed{"f/1", 0, feed_bounds{}};
  feed.start(rec(5));
  BOOST_TEST((delivered(feed) == seen{{5, true}}));
  watch_feed next{"f/1", 4, feed_bounds{}};
  next.start(rec(5));
  BOOST_TEST((delivered(next) == seen{{5, false}}));
  watch_feed current{"f/1", 5, feed_bounds{}};
  current.start(rec(5));
  BOOST_TEST(delivered(current).empty());
}

// Versions 1..2 were committed before registration; the read shows the
// last of them, so it fills the gap before the queue.
BOOST_AUTO_TEST_CASE(the_read_fills_the_gap_before_the_queue) {
  watch_feed feed{"f/1", 0, feed_bounds{}};
  feed.push(rec(3));
  feed.push(rec(4));
  feed.start(rec(2));
  BOOST_TEST((delivered(feed) == seen{{2, true}, {3, false}, {4, false}}));
  watch_feed after_one{"f/1", 1, feed_bounds{}};
  after_one.push(rec(3));
  after_one.start(rec(2));
  BOOST_TEST((delivered(after_one) == seen{{2, false}, {3, false}}));
}

// Commits before registration are unknown and the read shows a queued one:
// the queue is delivered, its first event marked as skipping versions.
BOOST_AUTO_TEST_CASE(an_unknown_gap_marks_the_first_queued_commit) {
  watch_feed feed{"f/1", 0, feed_bounds{}};
  feed.push(rec(3));
  feed.push(rec(4));
  feed.start(rec(4));
  BOOST_TEST((delivered(feed) == seen{{3, true}, {4, false}}));
}

BOOST_AUTO_TEST_CASE(nothing_is_handed_out_before_start) {
  watch_feed feed{"f/1", 0, feed_bounds{}};
  feed.push(rec(1));
  BOOST_TEST(delivered(feed).empty());
  feed.start(rec(1));
  BOOST_TEST((delivered(feed) == seen{{1, false}}));
  feed.push(rec(1)); // not newer than what was handed out
  feed.push(rec(2));
  BOOST_TEST((delivered(feed) == seen{{2, false}}));
}

BOOST_AUTO_TEST_SUITE_END()
