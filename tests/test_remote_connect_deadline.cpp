// The connect deadline (issue 12, `client_options::connect_timeout`):
// CAF 0.17's `remote_actor` waits for BASP's handshake without a deadline,
// so a server that accepts TCP and never speaks -- a listener that never
// answers, or a SIGSTOPped entactd, whose kernel still completes the TCP
// handshake -- kept `entact::connect` waiting forever. Now it answers
// `unreachable` once `connect_timeout` has passed. No timing is asserted:
// a hang would be this test's own timeout.

#include <boost/test/unit_test.hpp>

#include <chrono>

#include "entact/client.hpp"
#include "support/print.hpp"
#include "support/server_process.hpp"
#include "support/silent_listener.hpp"
#include "support/tls_certs.hpp"

using namespace entact;
using namespace std::chrono_literals;

namespace {

/// Options for 127.0.0.1:`port` with a short connect deadline and a long
/// call deadline: an answer comes from the former.
client_options options_for(uint16_t port) {
  client_options opts;
  opts.port = port;
  opts.connect_timeout = 300ms;
  opts.request_timeout = 60s;
  return opts;
}

errc code_of_connect(client_options opts) {
  auto c = entact::connect(std::move(opts));
  return c ? errc::none : code_of(c.error());
}

} // namespace

BOOST_AUTO_TEST_SUITE(remote_connect_deadline)

BOOST_AUTO_TEST_CASE(a_listener_that_never_answers_is_unreachable) {
  test::silent_listener hung;
  auto c = entact::connect(options_for(hung.port()));
  BOOST_REQUIRE(!c);
  BOOST_TEST(code_of(c.error()) == errc::unreachable, to_string(c.error()));
  // A second attempt is answered the same way (a fresh client each time).
  BOOST_TEST(code_of_connect(options_for(hung.port())) == errc::unreachable);
}

BOOST_AUTO_TEST_CASE(a_listener_that_never_answers_tls_is_unreachable) {
  test::tls_certs certs;
  test::silent_listener hung;
  auto opts = options_for(hung.port());
  opts.tls.ca_file = certs.cert("ca");
  auto c = entact::connect(opts);
  BOOST_REQUIRE(!c);
  BOOST_TEST(code_of(c.error()) == errc::unreachable, to_string(c.error()));
}

BOOST_AUTO_TEST_CASE(a_frozen_server_is_unreachable_and_serves_once_thawed) {
  test::server_process server;
  server.pause(); // SIGSTOP: the kernel still accepts its connections
  BOOST_TEST(code_of_connect(options_for(server.port())) == errc::unreachable);
  server.resume();
  auto c = entact::connect(options_for(server.port()));
  if (!c)
    BOOST_FAIL("no connect after SIGCONT: " + to_string(c.error()));
  auto made = (*c)->create("acct/1", "1");
  BOOST_TEST(static_cast<bool>(made));
}

BOOST_AUTO_TEST_CASE(a_connect_timeout_that_is_not_positive_is_refused) {
  test::silent_listener hung;
  for (auto t : {0ms, -1ms}) {
    auto opts = options_for(hung.port());
    opts.connect_timeout = t;
    BOOST_TEST(code_of_connect(opts) == errc::invalid_argument);
  }
}

BOOST_AUTO_TEST_SUITE_END()
