// Bounds and framing: bodies over the limits (declared, chunked, unknown
// length), oversized headers, ambiguous framing and TRACE, over raw TCP so
// what the gateway does with the connection shows.
#include <string>

#include <boost/test/unit_test.hpp>

#include "support/http_client.hpp"
#include "support/raw_conn.hpp"
#include "support/server_process.hpp"

using entact::test::etag;
using entact::test::problem_of;
using entact::test::response_of;

namespace {

struct http_server {
  entact::test::server_process server{
    {"--http-port=0", "--max-value-bytes=1000", "--no-sync"}};
  httplib::Client cli = entact::test::http_client(server.http_port());

  http_server() {
    auto made = cli.Put("/v1/entities/a", {{"If-None-Match", "*"}}, "1",
                        "text/plain");
    if (response_of(made).status != 201)
      throw std::runtime_error("setup failed");
  }

  /// Sends `request` raw and returns everything the gateway answers until
  /// it closes the connection (empty if it kept it open for 10 s).
  std::string exchange_raw(const std::string& request) {
    entact::test::raw_conn conn{server.http_port()};
    conn.send(std::vector<uint8_t>(request.begin(), request.end()));
    std::string answer;
    std::vector<uint8_t> byte;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{10};
    while (std::chrono::steady_clock::now() < deadline) {
      if (!conn.recv_exact(byte, 1)) {
        if (conn.drain_until_closed(std::chrono::milliseconds{1}))
          return answer;
        continue;
      }
      answer += static_cast<char>(byte[0]);
    }
    return {};
  }

  std::string stored_etag() {
    return response_of(cli.Get("/v1/entities/a")).get_header_value("ETag");
  }
};

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(http_framing, http_server)

BOOST_AUTO_TEST_CASE(a_declared_length_over_the_limit_is_413_unread) {
  // Declares 1 GB, sends none of it: refused at once, connection closed.
  auto answer = exchange_raw("PUT /v1/entities/a HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                             "If-Match: \"1\"\r\n"
                             "Content-Length: 1000000000\r\n\r\n");
  BOOST_TEST(starts_with(answer, "HTTP/1.1 413"));
  BOOST_TEST(answer.find("application/problem+json") != std::string::npos);
  BOOST_TEST(stored_etag() == etag(1));
}

BOOST_AUTO_TEST_CASE(a_chunked_body_over_the_limit_is_413) {
  std::string chunk(600, 'x');
  char size[16];
  std::snprintf(size, sizeof size, "%zx", chunk.size());
  auto answer = exchange_raw(
    "PUT /v1/entities/a HTTP/1.1\r\nHost: 127.0.0.1\r\nIf-Match: \"1\"\r\n"
    "Transfer-Encoding: chunked\r\n\r\n"
    + std::string{size} + "\r\n" + chunk + "\r\n" + std::string{size} + "\r\n"
    + chunk + "\r\n0\r\n\r\n");
  BOOST_TEST(starts_with(answer, "HTTP/1.1 413"));
  BOOST_TEST(stored_etag() == etag(1));
}

BOOST_AUTO_TEST_CASE(a_chunked_body_within_the_limit_is_written) {
  auto answer = exchange_raw(
    "PUT /v1/entities/a HTTP/1.1\r\nHost: 127.0.0.1\r\nIf-Match: \"1\"\r\n"
    "Connection: close\r\nTransfer-Encoding: chunked\r\n\r\n"
    "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
  BOOST_TEST(starts_with(answer, "HTTP/1.1 200"));
  BOOST_TEST(response_of(cli.Get("/v1/entities/a")).body == "abcde");
}

BOOST_AUTO_TEST_CASE(an_unread_body_is_never_parsed_as_a_request) {
  // A PUT refused before its body is read (428) whose body is itself a
  // request: the connection closes, the smuggled overwrite never runs.
  std::string smuggled = "PUT /v1/entities/a?overwrite=true HTTP/1.1\r\n"
                         "Host: 127.0.0.1\r\nContent-Length: 6\r\n\r\nhacked";
  auto answer = exchange_raw("PUT /v1/entities/a HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                             "Content-Length: "
                             + std::to_string(smuggled.size()) + "\r\n\r\n"
                             + smuggled);
  BOOST_TEST(starts_with(answer, "HTTP/1.1 428"));
  BOOST_TEST(answer.find("HTTP/1.1", 5) == std::string::npos);
  BOOST_TEST(stored_etag() == etag(1));
}

BOOST_AUTO_TEST_CASE(content_length_with_transfer_encoding_is_400) {
  auto answer = exchange_raw(
    "PUT /v1/entities/a?overwrite=true HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
    "3\r\nabc\r\n0\r\n\r\n");
  BOOST_TEST(starts_with(answer, "HTTP/1.1 400"));
  BOOST_TEST(stored_etag() == etag(1));
}

BOOST_AUTO_TEST_CASE(headers_over_the_limit_are_431) {
  std::string request = "GET /v1/entities/a HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (int i = 0; i < 40; ++i)
    request += "X-Padding-" + std::to_string(i) + ": " + std::string(1000, 'p')
               + "\r\n";
  auto answer = exchange_raw(request + "\r\n");
  BOOST_TEST(starts_with(answer, "HTTP/1.1 431"));
  BOOST_TEST(answer.find("urn:entact:problem:too_large") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_malformed_request_line_is_a_400_problem) {
  auto answer = exchange_raw("NONSENSE\r\n\r\n");
  BOOST_TEST(starts_with(answer, "HTTP/1.1 400"));
  BOOST_TEST(answer.find("application/problem+json") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(trace_is_405_with_allow) {
  auto answer = exchange_raw(
    "TRACE /v1/entities/a HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  BOOST_TEST(starts_with(answer, "HTTP/1.1 405"));
  BOOST_TEST(answer.find("Allow: DELETE, GET, HEAD, PUT") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_range_header_is_ignored_whole_values_are_served) {
  auto res = cli.Get("/v1/entities/a", {{"Range", "bytes=0-0"}});
  BOOST_TEST(response_of(res).status == 200);
  BOOST_TEST(res->body == "1");
  auto absent = cli.Get("/v1/entities/none", {{"Range", "bytes=0-3"}});
  BOOST_TEST(response_of(absent).status == 404);
  BOOST_TEST(problem_of(*absent)["code"] == "not_found");
}

BOOST_AUTO_TEST_SUITE_END()
