// The fencing lease against a real ZooKeeper: proven by answers, refreshed
// on its own, stale once the server stops answering for long enough.
#include <boost/test/unit_test.hpp>

#include "entact/cluster/session_lease.hpp"
#include "support/cluster_fixture.hpp"

using namespace entact;
using namespace entact::cluster;
using namespace std::chrono_literals;

BOOST_FIXTURE_TEST_SUITE(cluster_lease, test::cluster_fixture)

BOOST_AUTO_TEST_CASE(the_lease_is_proven_and_refreshed_by_answers) {
  auto node = test::open_session(zk, 2000ms);
  BOOST_TEST(node->session_timeout().count() == 2000);
  session_lease lease{*node, "/"};
  BOOST_TEST(test::wait_until([&] { return lease.valid(); }, 10s));
  // It never runs further than the session timeout from now.
  BOOST_TEST((lease.valid_until()
              <= std::chrono::steady_clock::now() + node->session_timeout()));
  auto first = lease.valid_until();
  BOOST_TEST(test::wait_until([&] { return lease.valid_until() > first; },
                              10s));
}

BOOST_AUTO_TEST_CASE(a_silent_server_lets_the_lease_run_out) {
  auto node = test::open_session(zk, 2000ms);
  session_lease lease{*node, "/"};
  BOOST_REQUIRE(test::wait_until([&] { return lease.valid(); }, 10s));
  zk.pause();
  // No answer can extend it: it ends at most 0.8 of the timeout after the
  // last answered probe was sent.
  BOOST_TEST(test::wait_until([&] { return !lease.valid(); }, 10s));
  BOOST_TEST(!lease.valid());
  zk.resume();
  // The server answers again: the session (2 s, the server was silent for
  // less) or a lease on a new one is proven again.
  auto renewed = test::wait_until(
    [&] { return lease.valid() || node->state() == zk_state::expired; }, 30s);
  BOOST_TEST(renewed);
}

BOOST_AUTO_TEST_SUITE_END()
