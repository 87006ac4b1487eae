// `entact modify ID OP [ARG]` against a real entactd: output, JSON and exit
// codes, and that a refused modification writes nothing.

#include <boost/test/unit_test.hpp>

#include "entact/client.hpp"
#include "support/print.hpp"
#include "support/run_command.hpp"
#include "support/server_process.hpp"

using namespace entact;

namespace {

struct cli_fixture {
  test::server_process server;

  test::command_result cli(std::vector<std::string> args) {
    std::vector<std::string> argv{ENTACT_CLI_PATH,
                                  "--port=" + std::to_string(server.port())};
    argv.insert(argv.end(), args.begin(), args.end());
    return test::run_command(std::move(argv));
  }
};

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(cli_modify, cli_fixture)

BOOST_AUTO_TEST_CASE(modify_round_trips) {
  auto first = cli({"modify", "counter/1", "add", "5"});
  BOOST_TEST(first.exit_code == 0, first.err);
  BOOST_TEST(first.out == "counter/1  v1  5\n");
  auto neg = cli({"modify", "counter/1", "add", "--", "-7"});
  BOOST_TEST(neg.exit_code == 0, neg.err);
  BOOST_TEST(neg.out == "counter/1  v2  -2\n");
  auto json = cli({"--json", "modify", "log", "append", "a b"});
  BOOST_TEST(json.exit_code == 0, json.err);
  BOOST_TEST(json.out
             == "{\"id\":\"log\",\"version\":1,\"value\":\"a b\","
                "\"deleted\":false}\n");
  // Without an argument: an empty one (append of nothing).
  auto empty = cli({"modify", "log", "append"});
  BOOST_TEST(empty.exit_code == 0, empty.err);
  BOOST_TEST(empty.out == "log  v2  a b\n");
  auto st = cli({"stats"});
  BOOST_TEST(contains(st.out, "modifications 4\n"), st.out);
}

BOOST_AUTO_TEST_CASE(refusals_have_their_exit_codes) {
  BOOST_REQUIRE(cli({"put", "t", "abc", "--if-absent"}).exit_code == 0);
  auto nan = cli({"modify", "t", "add", "1"});
  BOOST_TEST(nan.exit_code == 4);
  BOOST_TEST(contains(nan.err, "invalid_argument"), nan.err);
  BOOST_TEST(contains(nan.err, "not a decimal"), nan.err);
  auto unknown = cli({"--json", "modify", "t", "multiply", "2"});
  BOOST_TEST(unknown.exit_code == 4);
  BOOST_TEST(contains(unknown.out, "\"error\":\"invalid_argument\""),
             unknown.out);
  BOOST_TEST(contains(unknown.out, "unknown operation"), unknown.out);
  auto stale = cli({"modify", "t", "set_if_version", "9:x"});
  BOOST_TEST(stale.exit_code == 1);
  BOOST_TEST(contains(stale.err, "conflict"), stale.err);
  auto set = cli({"modify", "t", "set_if_version", "1:x"});
  BOOST_TEST(set.exit_code == 0, set.err);
  BOOST_TEST(set.out == "t  v2  x\n");
  BOOST_TEST(cli({"modify", "t"}).exit_code == 64);
  BOOST_TEST(cli({"modify", "t", "add", "1", "2"}).exit_code == 64);
  BOOST_TEST(cli({"modify", "t", "add", "1", "--force"}).exit_code == 64);
  auto db = entact::connect("127.0.0.1", server.port());
  BOOST_REQUIRE(db);
  auto rec = (*db)->get("t");
  BOOST_REQUIRE(rec);
  BOOST_TEST(rec->version == 2u);
  BOOST_TEST(rec->value == "x");
}

BOOST_AUTO_TEST_SUITE_END()
