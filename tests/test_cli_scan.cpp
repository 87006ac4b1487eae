// `entact scan` against a real entactd: one page or --all, --prefix,
// --after, --limit, --include-deleted, --json, and usage errors.

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "entact/client.hpp"
#include "support/remote_client.hpp"
#include "support/run_command.hpp"
#include "support/server_process.hpp"

using namespace entact;
using test::command_result;

namespace {

struct scan_fixture {
  test::server_process server;

  scan_fixture() {
    auto db = test::connect_or_throw(server.port());
    for (int i = 1; i <= 5; ++i)
      if (!db->create("acct/" + std::to_string(i), std::to_string(i * 10)))
        throw std::runtime_error("create failed");
    if (!db->create("other", "x") || !db->create("acct/gone", "x")
        || !db->erase("acct/gone", 1))
      throw std::runtime_error("setup failed");
  }

  /// Runs `entact --port=<server> args...`.
  command_result cli(std::vector<std::string> args) {
    std::vector<std::string> argv{ENTACT_CLI_PATH,
                                  "--port=" + std::to_string(server.port())};
    argv.insert(argv.end(), args.begin(), args.end());
    return test::run_command(std::move(argv));
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(cli_scan, scan_fixture)

BOOST_AUTO_TEST_CASE(one_page_then_the_rest_from_the_cursor) {
  auto first = cli({"scan", "--prefix=acct/", "--limit=2"});
  BOOST_TEST(first.exit_code == 0, first.err);
  BOOST_TEST(first.out == "acct/1  v1  10\nacct/2  v1  20\n");
  BOOST_TEST(first.err == "entact: more records follow: --after=acct/2\n");
  auto rest = cli({"scan", "--prefix=acct/", "--limit=2", "--after=acct/2",
                   "--all"});
  BOOST_TEST(rest.exit_code == 0, rest.err);
  BOOST_TEST(rest.out == "acct/3  v1  30\nacct/4  v1  40\nacct/5  v1  50\n");
  BOOST_TEST(rest.err.empty());
  auto all = cli({"scan", "--all", "--limit=1"});
  BOOST_TEST(all.exit_code == 0, all.err);
  BOOST_TEST(all.out
             == "acct/1  v1  10\nacct/2  v1  20\nacct/3  v1  30\n"
                "acct/4  v1  40\nacct/5  v1  50\nother  v1  x\n");
  auto deleted = cli({"scan", "--prefix=acct/g", "--include-deleted"});
  BOOST_TEST(deleted.exit_code == 0, deleted.err);
  BOOST_TEST(deleted.out == "acct/gone  v2  (deleted)\n");
  auto none = cli({"scan", "--prefix=zz"});
  BOOST_TEST(none.exit_code == 0);
  BOOST_TEST(none.out.empty());
  BOOST_TEST(none.err.empty());
}

BOOST_AUTO_TEST_CASE(json_prints_one_object_per_page) {
  auto r = cli({"--json", "scan", "--prefix=acct/", "--limit=3", "--all"});
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(r.out
             == R"({"records":[{"id":"acct/1","version":1,"value":"10","deleted":false},)"
                R"({"id":"acct/2","version":1,"value":"20","deleted":false},)"
                R"({"id":"acct/3","version":1,"value":"30","deleted":false}],)"
                R"("next_after":"acct/3"})"
                "\n"
                R"({"records":[{"id":"acct/4","version":1,"value":"40","deleted":false},)"
                R"({"id":"acct/5","version":1,"value":"50","deleted":false}],)"
                R"("next_after":null})"
                "\n");
  // Each line parses as JSON.
  auto nl = r.out.find('\n');
  auto page = nlohmann::json::parse(r.out.substr(0, nl));
  BOOST_TEST(page["records"].size() == 3u);
  BOOST_TEST(page["next_after"] == "acct/3");
}

BOOST_AUTO_TEST_CASE(bad_scans_are_usage_or_server_errors) {
  // Usage (64): arguments, options of other commands, scan options
  // elsewhere, a limit that is no number.
  for (auto args : std::vector<std::vector<std::string>>{
         {"scan", "acct/"},
         {"scan", "--if-absent"},
         {"get", "acct/1", "--prefix=a"},
         {"get", "acct/1", "--all"},
         {"scan", "--limit=abc"},
         {"scan", "--limit=99999999999"}}) {
    auto r = cli(args);
    BOOST_TEST(r.exit_code == 64, args.back() << ": " << r.err);
    BOOST_TEST(r.out.empty());
  }
  // A limit over the server's bound is a page of at most the bound.
  auto big = cli({"scan", "--limit=1001"});
  BOOST_TEST(big.exit_code == 0, big.err);
  // The server's refusals (4): a limit of 0, a bad prefix.
  auto zero = cli({"--json", "scan", "--limit=0"});
  BOOST_TEST(zero.exit_code == 4);
  BOOST_TEST(zero.out.find(R"({"error":"invalid_argument")") == 0u, zero.out);
  auto bad = cli({"scan", "--prefix=a b"});
  BOOST_TEST(bad.exit_code == 4);
}

BOOST_AUTO_TEST_SUITE_END()
