// entact::serve_http on an embedded engine: the same gateway a service
// embeds, stopped before the engine closes.
#include <boost/test/unit_test.hpp>

#include "entact/serve_http.hpp"
#include "support/engine_fixture.hpp"
#include "support/http_client.hpp"

using entact::test::etag;
using entact::test::response_of;

BOOST_FIXTURE_TEST_SUITE(http_embedded, entact::test::engine_fixture)

BOOST_AUTO_TEST_CASE(serve_http_serves_the_engine_and_stops) {
  auto http = entact::serve_http(db(), entact::http_options_for(opts));
  BOOST_REQUIRE(http);
  BOOST_TEST((*http)->port() != 0);
  BOOST_TEST((*http)->max_body_bytes()
             == 2 * 64 * (1024 * 1024 + 256) + 1024 * 1024);
  auto made = db().create("user/1", "Ada");
  BOOST_REQUIRE(made);
  auto cli = entact::test::http_client((*http)->port());
  auto got = cli.Get("/v1/entities/user/1");
  BOOST_TEST(response_of(got).body == "Ada");
  BOOST_TEST(got->get_header_value("ETag") == etag(1));
  auto upd = cli.Put("/v1/entities/user/1", {{"If-Match", etag(1)}},
                     "Ada L.", "text/plain");
  BOOST_TEST(response_of(upd).status == 200);
  BOOST_TEST(db().get("user/1")->value == "Ada L.");
  (*http)->stop();
  (*http)->stop(); // idempotent
  auto after = entact::test::http_client((*http)->port()).Get("/healthz");
  BOOST_TEST(!after);
}

BOOST_AUTO_TEST_CASE(a_closed_engine_answers_503) {
  auto http = entact::serve_http(db(), entact::http_options_for(opts));
  BOOST_REQUIRE(http);
  auto cli = entact::test::http_client((*http)->port());
  BOOST_TEST(response_of(cli.Get("/healthz")).status == 200);
  eng->close();
  auto res = cli.Get("/healthz");
  BOOST_TEST(response_of(res).status == 503);
  BOOST_TEST(res->get_header_value("Retry-After") == "1");
  BOOST_TEST(entact::test::problem_of(*res)["code"] == "closed");
  (*http)->stop();
}

BOOST_AUTO_TEST_CASE(bad_options_and_a_taken_port_are_errors) {
  auto opts_zero = entact::http_options_for(opts);
  opts_zero.threads = 0;
  auto bad = entact::serve_http(db(), opts_zero);
  BOOST_REQUIRE(!bad);
  BOOST_TEST(entact::code_of(bad.error()) == entact::errc::invalid_argument);
  auto first = entact::serve_http(db(), entact::http_options_for(opts));
  BOOST_REQUIRE(first);
  auto same = entact::http_options_for(opts);
  same.port = (*first)->port();
  auto second = entact::serve_http(db(), same);
  BOOST_TEST(!second);
}

BOOST_AUTO_TEST_SUITE_END()
