// The browser console (GET /) against a real entactd: the page and its
// headers, and the lost update resolved in a real headless chromium.
// tests/browser/console_test.mjs (playwright-core) clicks through the A/B
// conflict three times (overwrite, reload, merge); this test then checks
// what entactd stores, version and bytes, over HTTP, and keeps the
// screenshot in the build tree (artifacts/console.png).
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include <boost/test/unit_test.hpp>
#include <unistd.h>

#include "support/http_client.hpp"
#include "support/run_command.hpp"
#include "support/server_process.hpp"
#include "support/temp_dir.hpp"

using entact::test::etag;
using entact::test::problem_of;
using entact::test::response_of;
namespace fs = std::filesystem;

namespace {

constexpr const char* console_csp =
  "default-src 'self'; script-src 'self' 'unsafe-inline'; "
  "style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; "
  "form-action 'none'; frame-ancestors 'none'";

const fs::path source_dir{ENTACT_SOURCE_DIR};

struct http_server {
  entact::test::server_process server{{"--http-port=0", "--no-sync"}};

  httplib::Client client() {
    return entact::test::http_client(server.http_port());
  }
};

std::string file_bytes(const fs::path& path) {
  std::ifstream in{path, std::ios::binary};
  return {std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

/// The absolute path of `program` on PATH, or "" (run_command takes a path).
std::string find_on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs{path != nullptr ? path : ""};
  for (std::string dir; std::getline(dirs, dir, ':');) {
    auto candidate = fs::path{dir.empty() ? "." : dir} / program;
    if (::access(candidate.c_str(), X_OK) == 0)
      return candidate.string();
  }
  return {};
}

/// What the browser test needs; fails the test (never skips it) naming
/// what is missing: CI installs all of it (.ci/setup.sh).
std::string require_browser_tools() {
  auto chromium = std::getenv("ENTACT_CHROMIUM") != nullptr
                    ? std::string{std::getenv("ENTACT_CHROMIUM")}
                    : std::string{"/usr/bin/chromium"};
  if (::access(chromium.c_str(), X_OK) != 0)
    BOOST_FAIL(chromium + " not found: install Debian's chromium "
               "(bash .ci/setup.sh does)");
  auto node = find_on_path("node");
  if (node.empty())
    BOOST_FAIL("node (Node.js 20 or later) not found on PATH");
  auto driver = source_dir / "tests/browser/node_modules/playwright-core";
  if (!fs::exists(driver / "package.json"))
    BOOST_FAIL(driver.string() + " missing: run `npm ci` in tests/browser "
               "(bash .ci/setup.sh does)");
  return node;
}

/// The JSON summary on the last line of the script's stdout.
nlohmann::json summary_of(const entact::test::command_result& run) {
  auto end = run.out.find_last_not_of('\n');
  auto start = end == std::string::npos ? 0 : run.out.rfind('\n', end);
  auto line = run.out.substr(start == std::string::npos ? 0 : start + 1);
  auto summary = nlohmann::json::parse(line, nullptr, false);
  if (summary.is_discarded() || !summary.is_object())
    BOOST_FAIL("console_test.mjs printed no JSON summary (exit "
               << run.exit_code << ")\nstdout:\n" << run.out << "\nstderr:\n"
               << run.err);
  return summary;
}

/// Checks entactd stores `value` at `version` under `id`.
void check_stored(httplib::Client& http, const std::string& id,
                  uint64_t version, const std::string& value) {
  BOOST_TEST_CONTEXT(id) {
    auto got = http.Get("/v1/entities/" + id);
    BOOST_TEST(response_of(got).status == 200);
    BOOST_TEST(got->get_header_value("ETag") == etag(version));
    BOOST_TEST(got->body == value);
  }
}

/// Checks the conflict panel showed: read v1 `read`, stored v2 `stored`.
void check_conflict_shown(const nlohmann::json& c, const std::string& read,
                          const std::string& tried, const std::string& stored) {
  BOOST_TEST(c["read_version"] == 1);
  BOOST_TEST(c["read_value"] == read);
  BOOST_TEST(c["tried_value"] == tried);
  BOOST_TEST(c["stored_version"] == 2);
  BOOST_TEST(c["stored_value"] == stored);
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(http_console, http_server)

BOOST_AUTO_TEST_CASE(root_serves_the_page_with_its_headers) {
  auto http = client();
  auto page = file_bytes(source_dir / "http/console/index.html");
  BOOST_REQUIRE(!page.empty());
  for (const char* path : {"/", "/console", "/?id=doc/7"}) {
    BOOST_TEST_CONTEXT(path) {
      auto got = http.Get(path);
      BOOST_TEST(response_of(got).status == 200);
      BOOST_TEST(got->get_header_value("Content-Type")
                 == "text/html; charset=utf-8");
      BOOST_TEST(got->get_header_value("Content-Security-Policy")
                 == console_csp);
      BOOST_TEST(got->get_header_value("X-Content-Type-Options") == "nosniff");
      BOOST_TEST(got->get_header_value("Cache-Control") == "no-store");
      // The file in the repo, byte for byte: embedded at build time.
      BOOST_TEST(got->body == page);
    }
  }
  auto head = http.Head("/");
  BOOST_TEST(response_of(head).status == 200);
  BOOST_TEST(head->get_header_value("Content-Security-Policy") == console_csp);
  BOOST_TEST(head->body.empty());
}

BOOST_AUTO_TEST_CASE(page_is_self_contained_with_stable_ids) {
  auto http = client();
  auto got = http.Get("/");
  const auto& page = response_of(got).body;
  // Works offline: no address outside the gateway, nothing loaded.
  BOOST_TEST(page.find("http://") == std::string::npos);
  BOOST_TEST(page.find("https://") == std::string::npos);
  BOOST_TEST(page.find(" src=") == std::string::npos);
  BOOST_TEST(page.find("<link") == std::string::npos);
  for (const char* id :
       {"entity-id", "a-open", "a-save", "a-value", "a-conflict", "a-reload",
        "a-overwrite", "a-merge", "b-open", "b-save", "b-value", "b-conflict",
        "b-reload", "b-overwrite", "b-merge", "live-versions", "metrics"})
    BOOST_TEST(page.find("id=\"" + std::string{id} + "\"") != std::string::npos,
               "the page has #" << id);
}

BOOST_AUTO_TEST_CASE(root_is_exact_other_paths_are_not_the_console) {
  auto http = client();
  for (const char* path : {"/nothing-here", "/console/x", "/index.html"}) {
    BOOST_TEST_CONTEXT(path) {
      auto got = http.Get(path);
      BOOST_TEST(response_of(got).status == 404);
      BOOST_TEST(problem_of(*got)["code"] == "no_route");
    }
  }
  auto post = http.Post("/", "x", "text/plain");
  BOOST_TEST(response_of(post).status == 405);
  BOOST_TEST(post->get_header_value("Allow") == "GET, HEAD");
  BOOST_TEST(problem_of(*post)["code"] == "method_not_allowed");
}

BOOST_AUTO_TEST_CASE(browser_resolves_a_lost_update_three_ways) {
  auto node = require_browser_tools();
  auto artifacts = fs::path{ENTACT_ARTIFACTS_DIR};
  fs::create_directories(artifacts);
  auto screenshot = artifacts / "console.png";
  fs::remove(screenshot); // this run must make its own
  auto url = "http://127.0.0.1:" + std::to_string(server.http_port()) + "/";
  auto run = entact::test::run_command(
    {node, (source_dir / "tests/browser/console_test.mjs").string(), url,
     screenshot.string()},
    std::chrono::seconds{240});
  BOOST_TEST_MESSAGE("console_test.mjs: exit " << run.exit_code << " in "
                     << run.elapsed.count() << " ms");
  auto summary = summary_of(run);
  BOOST_REQUIRE_MESSAGE(run.exit_code == 0 && summary["ok"] == true,
                        "the browser test failed: " << summary.dump(2)
                          << "\nstderr:\n" << run.err);

  // What the page showed in each conflict: B read v1, A stored v2.
  for (const char* name : {"overwrite", "reload", "merge"}) {
    BOOST_TEST_CONTEXT(name) {
      const auto& c = summary[name];
      auto id = c["id"].get<std::string>();
      check_conflict_shown(c["conflict"], id + ": first draft",
                           id + ": B's edit", id + ": A's edit");
    }
  }
  // What entactd stores: overwrite = B's value as v3, reload = A's v2
  // untouched, merge = the merged text as v3.
  auto http = client();
  check_stored(http, "doc/1", 3, "doc/1: B's edit");
  check_stored(http, "doc/2", 2, "doc/2: A's edit");
  check_stored(http, "doc/3", 3,
               "doc/3: merged (doc/3: A's edit + doc/3: B's edit)");
  check_stored(http, "bin/1", 1, std::string{"\xff\x00\x01", 3});
  BOOST_TEST(summary["merge"]["value"]
             == "doc/3: merged (doc/3: A's edit + doc/3: B's edit)");
  BOOST_TEST(summary["binary"]["shown"].get<std::string>().find("ff 00 01")
             != std::string::npos);
  // The counters the page polled from /metrics saw the three conflicts.
  BOOST_TEST(summary["metrics"]["http_412"].get<int>() >= 3);
  BOOST_TEST_MESSAGE("live view: " << summary["live"].dump());

  // The screenshot: a PNG file, kept as the test's artifact.
  BOOST_REQUIRE(fs::exists(screenshot));
  BOOST_TEST(fs::file_size(screenshot) > 8u);
  BOOST_TEST(file_bytes(screenshot).compare(0, 8, "\x89PNG\r\n\x1a\n") == 0);
}

BOOST_AUTO_TEST_SUITE_END()

namespace {

/// An entactd whose HTTP API needs a bearer token (--http-token-file).
struct token_server {
  static constexpr const char* token = "console-test-token";
  entact::test::temp_dir dir;
  std::string token_file = [this] {
    auto path = dir.sub("token");
    std::ofstream{path} << token;
    fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
    return path;
  }();
  entact::test::server_process server{
    {"--http-port=0", "--no-sync", "--http-token-file=" + token_file}};
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(http_console_with_token, token_server)

// The same clicks with the token typed into the page: its fetches, the
// counters' poll and the watch all carry it, and the writes land.
BOOST_AUTO_TEST_CASE(browser_works_with_a_token) {
  auto node = require_browser_tools();
  auto shot = dir.sub("console-token.png");
  auto url = "http://127.0.0.1:" + std::to_string(server.http_port()) + "/";
  auto run = entact::test::run_command(
    {node, (source_dir / "tests/browser/console_test.mjs").string(), url,
     shot, token},
    std::chrono::seconds{240});
  auto summary = summary_of(run);
  BOOST_REQUIRE_MESSAGE(run.exit_code == 0 && summary["ok"] == true,
                        "the browser test failed: " << summary.dump(2)
                          << "\nstderr:\n" << run.err);
  auto http = entact::test::http_client(server.http_port());
  BOOST_TEST(response_of(http.Get("/v1/entities/doc/1")).status == 401);
  http.set_bearer_token_auth(token);
  check_stored(http, "doc/1", 3, "doc/1: B's edit");
  check_stored(http, "doc/3", 3,
               "doc/3: merged (doc/3: A's edit + doc/3: B's edit)");
  BOOST_TEST(summary["metrics"]["http_412"].get<int>() >= 3);
  BOOST_TEST_MESSAGE("live view: " << summary["live"].dump());
}

BOOST_AUTO_TEST_SUITE_END()
