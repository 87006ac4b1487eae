// The HTTP gateway against a hostile network, on a real entactd: a foreign
// Host (DNS rebinding) and a foreign Origin (cross-site writes) are
// refused, the bearer token of --http-token-file is required where it
// must be, a token file others can read stops entactd, and the console
// can be switched off. Each refusal is checked to have written nothing.
#include <chrono>
#include <fstream>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <sys/stat.h>

#include "support/http_client.hpp"
#include "support/raw_conn.hpp"
#include "support/run_command.hpp"
#include "support/server_process.hpp"
#include "support/sse_client.hpp"
#include "support/temp_dir.hpp"
#include "support/wait_until.hpp"

using entact::test::problem_of;
using entact::test::response_of;

namespace {

constexpr const char* token = "s3cret-t0ken-for-tests";

/// Makes a PUT create the entity: a refused one would have written.
const std::pair<std::string, std::string> create{"If-None-Match", "*"};

/// A file holding `bytes` with permissions `mode`.
std::string write_file(const entact::test::temp_dir& dir,
                       const std::string& name, const std::string& bytes,
                       mode_t mode) {
  auto path = dir.sub(name);
  std::ofstream{path} << bytes;
  ::chmod(path.c_str(), mode);
  return path;
}

/// The status an entity read answers with the given (allowed) headers.
int status_of_read(httplib::Client& cli, const httplib::Headers& headers = {}) {
  return response_of(cli.Get("/v1/entities/doc", headers)).status;
}

/// Sends `request` raw and returns the status line of the answer (the
/// gateway closes the connection after each refusal).
std::string status_line_of(uint16_t port, const std::string& request) {
  entact::test::raw_conn conn{port};
  conn.send(std::vector<uint8_t>(request.begin(), request.end()));
  std::string line;
  std::vector<uint8_t> byte;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{10};
  while (std::chrono::steady_clock::now() < deadline
         && line.find("\r\n") == std::string::npos)
    if (conn.recv_exact(byte, 1))
      line += static_cast<char>(byte[0]);
  return line;
}

struct open_server {
  entact::test::server_process server{
    {"--http-port=0", "--no-sync",
     "--http-allowed-hosts=entact.test,pinned.test:81"}};
  httplib::Client cli = entact::test::http_client(server.http_port());

  std::string own_host() const {
    return "127.0.0.1:" + std::to_string(server.http_port());
  }
};

struct token_server {
  entact::test::temp_dir dir;
  std::string token_file = write_file(dir, "token", std::string{token} + "\n",
                                      0600);
  entact::test::server_process server{
    {"--http-port=0", "--no-sync", "--http-token-file=" + token_file}};
  httplib::Client cli = entact::test::http_client(server.http_port());
  httplib::Headers good{{"Authorization", std::string{"Bearer "} + token}};
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(host_and_origin, open_server)

BOOST_AUTO_TEST_CASE(a_foreign_host_is_refused_with_421_and_writes_nothing) {
  auto foreign = "attacker.example:" + std::to_string(server.http_port());
  auto put = response_of(cli.Put("/v1/entities/doc",
                                 {{"Host", foreign}, create},
                                 "evil", "text/plain"));
  BOOST_TEST(put.status == 421);
  BOOST_TEST(problem_of(put)["code"] == "misdirected_request");
  auto read = response_of(cli.Get("/v1/entities/doc",
                                  {{"Host", "attacker.example"}}));
  BOOST_TEST(read.status == 421);
  BOOST_TEST(status_of_read(cli) == 404);
}

BOOST_AUTO_TEST_CASE(ip_literals_localhost_and_allowed_names_are_served) {
  BOOST_TEST(response_of(cli.Put("/v1/entities/doc", {create}, "1",
                                 "text/plain"))
               .status
             == 201);
  auto port = std::to_string(server.http_port());
  using hosts = std::vector<std::string>;
  for (const auto& host : hosts{own_host(), "localhost:" + port,
                           "[::1]:" + port, "10.1.2.3", "ENTACT.test:" + port, "entact.test",
                           "pinned.test:81"}) {
    BOOST_TEST_INFO("Host: " << host);
    BOOST_TEST(status_of_read(cli, {{"Host", host}}) == 200);
  }
  // A name allowed with a port is allowed with that port only; a name
  // that merely ends in an allowed one is another name.
  for (const auto& host : hosts{"pinned.test:" + port, "pinned.test",
                           "x.entact.test", "localhost.attacker.example",
                           "127.0.0.1.attacker.example", "entact.test:x",
                           "[::1"}) {
    BOOST_TEST_INFO("Host: " << host);
    BOOST_TEST(status_of_read(cli, {{"Host", host}}) == 421);
  }
}

BOOST_AUTO_TEST_CASE(http11_without_host_is_400_and_http10_without_is_served) {
  auto port = server.http_port();
  BOOST_TEST(status_line_of(port, "GET /healthz HTTP/1.1\r\n\r\n")
             == "HTTP/1.1 400 Bad Request\r\n");
  BOOST_TEST(status_line_of(port, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                  "Host: attacker.example\r\n\r\n")
             == "HTTP/1.1 400 Bad Request\r\n");
  // No browser sends HTTP/1.0 without Host, so no page can make it.
  BOOST_TEST(status_line_of(port, "GET /healthz HTTP/1.0\r\n\r\n")
             == "HTTP/1.1 200 OK\r\n");
}

BOOST_AUTO_TEST_CASE(a_foreign_origin_may_read_but_not_write) {
  httplib::Headers foreign{{"Origin", "http://attacker.example"}};
  auto put = response_of(cli.Put("/v1/entities/doc",
                                 {*foreign.begin(), create}, "evil",
                                 "text/plain"));
  BOOST_TEST(put.status == 403);
  BOOST_TEST(problem_of(put)["code"] == "forbidden_origin");
  httplib::Headers null_origin{{"Origin", "null"}};
  BOOST_TEST(response_of(cli.Delete("/v1/entities/doc", null_origin)).status
             == 403);
  // The browser's own port matters: another local site is another origin.
  httplib::Headers other_port{{"Origin", "http://127.0.0.1:1"}};
  BOOST_TEST(response_of(cli.Post("/v1/batch", other_port, "{\"writes\":[]}",
                                  "application/json"))
               .status
             == 403);
  BOOST_TEST(status_of_read(cli) == 404);
  // A read carries no CORS header, so the foreign page cannot see it.
  BOOST_TEST(status_of_read(cli, foreign) == 404);
  // The page's own origin (the console's), and an allowed name, may write.
  httplib::Headers own{{"Origin", "http://" + own_host()}, create};
  BOOST_TEST(response_of(cli.Put("/v1/entities/doc", own, "1", "text/plain"))
               .status
             == 201);
  httplib::Headers allowed{{"Origin", "https://entact.test"}};
  auto second = cli.Put("/v1/entities/doc",
                        {{"Origin", "https://entact.test"},
                         {"If-Match", "\"1\""}},
                        "2", "text/plain");
  BOOST_TEST(response_of(second).status == 200);
  BOOST_TEST(response_of(cli.Get("/v1/entities/doc")).body == "2");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(bearer_token, token_server)

BOOST_AUTO_TEST_CASE(no_or_a_bad_token_is_401_and_writes_nothing) {
  auto none = response_of(cli.Put("/v1/entities/doc", {create}, "evil",
                                  "text/plain"));
  BOOST_TEST(none.status == 401);
  BOOST_TEST(problem_of(none)["code"] == "unauthorized");
  BOOST_TEST(none.get_header_value("WWW-Authenticate")
             == R"(Bearer realm="entact")");
  for (std::string bad : {std::string{"Bearer "} + token + "x",
                          std::string{"Bearer "} + std::string{token}.substr(1),
                          std::string{"Basic "} + token, std::string{token},
                          std::string{"Bearer"}}) {
    BOOST_TEST_INFO("Authorization: " << bad);
    auto res = response_of(cli.Put("/v1/entities/doc",
                                   {{"Authorization", bad}, create},
                                   "evil", "text/plain"));
    BOOST_TEST(res.status == 401);
    BOOST_TEST(res.has_header("WWW-Authenticate"));
  }
  BOOST_TEST(status_of_read(cli) == 401);
  BOOST_TEST(status_of_read(cli, good) == 404);
}

BOOST_AUTO_TEST_CASE(the_token_opens_every_route) {
  auto headers = good;
  headers.insert(create);
  BOOST_TEST(response_of(cli.Put("/v1/entities/doc", headers, "1",
                                 "text/plain"))
               .status
             == 201);
  auto lower
    = httplib::Headers{{"Authorization", std::string{"bearer "} + token}};
  BOOST_TEST(status_of_read(cli, lower) == 200);
  BOOST_TEST(response_of(cli.Get("/v1/entities/doc", good)).body == "1");
  BOOST_TEST(response_of(cli.Get("/v1/entities?prefix=d", good)).status == 200);
}

BOOST_AUTO_TEST_CASE(healthz_and_the_console_page_are_open_metrics_is_not) {
  BOOST_TEST(response_of(cli.Get("/healthz")).status == 200);
  BOOST_TEST(response_of(cli.Get("/")).status == 200);
  BOOST_TEST(response_of(cli.Get("/metrics")).status == 401);
  BOOST_TEST(response_of(cli.Get("/metrics", good)).status == 200);
  // Open for reading only: a write to /healthz still needs the token.
  BOOST_TEST(response_of(cli.Post("/healthz", "", "text/plain")).status == 401);
}

BOOST_AUTO_TEST_CASE(a_watch_takes_the_token_in_its_query) {
  // EventSource cannot send headers: the watch alone takes ?access_token=.
  BOOST_TEST(response_of(cli.Get(std::string{"/v1/entities/doc?access_token="}
                                 + token))
               .status
             == 401);
  entact::test::sse_client refused{server.http_port(),
                                   "/v1/entities/doc/watch?access_token=bad"};
  entact::test::sse_client watch{server.http_port(),
                                 std::string{"/v1/entities/doc/watch?after=0&"
                                             "access_token="}
                                   + token};
  BOOST_TEST(entact::test::wait_until(
    [&] { return refused.status() != 0 && watch.status() != 0; },
    std::chrono::seconds{20}, std::chrono::milliseconds{10}));
  BOOST_TEST(refused.status() == 401);
  BOOST_TEST(watch.status() == 200);
  BOOST_TEST(watch.header("Content-Type") == "text/event-stream");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(token_file)

BOOST_AUTO_TEST_CASE(entactd_refuses_a_token_file_others_may_read_or_empty) {
  entact::test::temp_dir dir;
  struct bad_file {
    std::string path;
    std::string says;
  };
  std::vector<bad_file> cases{
    {write_file(dir, "open", token, 0644), "permissions 0644 are too open"},
    {write_file(dir, "group", token, 0640), "permissions 0640 are too open"},
    {write_file(dir, "empty", "\n", 0600), "empty"},
    {dir.sub("missing"), "No such file"}};
  for (const auto& c : cases) {
    BOOST_TEST_INFO("token file " << c.path);
    auto run = entact::test::run_command(
      {ENTACT_ENTACTD_PATH, "--data-dir=" + dir.sub("data"), "--port=0",
       "--http-port=0", "--http-token-file=" + c.path});
    BOOST_TEST(run.exit_code == 64);
    BOOST_TEST(run.err.find("--http-token-file " + c.path)
               != std::string::npos);
    BOOST_TEST(run.err.find(c.says) != std::string::npos, run.err);
  }
  // It stopped before opening the store.
  BOOST_TEST(!std::filesystem::exists(dir.sub("data")));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(the_console_can_be_switched_off) {
  entact::test::server_process server{
    {"--http-port=0", "--no-sync", "--http-console=false"}};
  auto cli = entact::test::http_client(server.http_port());
  BOOST_TEST(response_of(cli.Get("/")).status == 404);
  BOOST_TEST(response_of(cli.Get("/console")).status == 404);
  BOOST_TEST(response_of(cli.Get("/healthz")).status == 200);
  auto bad = entact::test::run_command(
    {ENTACT_ENTACTD_PATH, "--data-dir=/nonexistent/entact", "--port=0",
     "--http-port=0", "--http-console=no"});
  BOOST_TEST(bad.exit_code == 64);
  BOOST_TEST(bad.err.find("--http-console must be true or false")
             != std::string::npos);
}
