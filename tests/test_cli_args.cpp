// The `entact` CLI's command line (apps/cli/parse_args.*), without a
// server: argv -> a checked command, the help text, or a usage error with
// exit code 64 (tests/test_cli_basics.cpp runs the same through the
// program against a real entactd).

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "cli/exit_codes.hpp"
#include "cli/parse_args.hpp"

using namespace entact;
using namespace entact::cli;

namespace {

struct parsed {
  cli_config cfg;
  parse_result res;

  explicit parsed(const std::vector<std::string>& args)
    : res(parse_args(args, cfg)) {
    // nop
  }

  /// The command; fails the test if there is none.
  const command& cmd() const {
    BOOST_REQUIRE_MESSAGE(res.cmd, "no command: " << res.output);
    return *res.cmd;
  }
};

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

/// Parses `args`, expecting a usage error that mentions `needle`.
void expect_usage_error(const std::vector<std::string>& args,
                        const std::string& needle) {
  parsed p{args};
  BOOST_TEST(p.res.exit_code == exit_usage);
  BOOST_TEST(!p.res.cmd);
  BOOST_TEST(p.res.output.rfind("entact: ", 0) == 0u, p.res.output);
  BOOST_TEST(contains(p.res.output, needle), p.res.output);
}

} // namespace

BOOST_AUTO_TEST_SUITE(good_command_lines)

BOOST_AUTO_TEST_CASE(get_carries_its_id_and_the_global_options) {
  parsed p{{"--json", "--host=::1", "--port=7500", "--timeout-ms=250", "get",
            "acct/1"}};
  BOOST_TEST(p.res.exit_code == exit_ok);
  BOOST_TEST(p.res.output == "");
  BOOST_TEST(p.cmd().name == "get");
  BOOST_TEST(p.cmd().id == "acct/1");
  BOOST_TEST(p.cfg.json);
  BOOST_TEST(p.cfg.host == "::1");
  BOOST_TEST(p.cfg.port == 7500u);
  BOOST_TEST(p.cfg.timeout_ms == 250u);
}

BOOST_AUTO_TEST_CASE(each_put_mode_builds_its_op) {
  parsed update{{"put", "acct/1", "150", "--if-version=7"}};
  BOOST_TEST((update.cmd().op.kind == op_kind::update_if_version));
  BOOST_TEST(update.cmd().op.expected_version == 7u);
  BOOST_TEST(update.cmd().op.id == "acct/1");
  BOOST_TEST(update.cmd().op.value == "150");
  parsed create{{"--if-absent", "put", "acct/1", "100"}};
  BOOST_TEST((create.cmd().op.kind == op_kind::create_if_absent));
  BOOST_TEST(create.cmd().op.expected_version == no_version);
  parsed force{{"put", "acct/1", "1", "--force"}};
  BOOST_TEST((force.cmd().op.kind == op_kind::write_unconditionally));
  // Version 0 is passed on: the server applies the version rule.
  parsed zero{{"put", "a", "x", "--if-version=0"}};
  BOOST_TEST(zero.cmd().op.expected_version == 0u);
}

BOOST_AUTO_TEST_CASE(after_a_bare_double_dash_everything_is_positional) {
  parsed p{{"--force", "put", "--", "k", "--not-an-option"}};
  BOOST_TEST(p.cmd().op.id == "k");
  BOOST_TEST(p.cmd().op.value == "--not-an-option");
}

BOOST_AUTO_TEST_CASE(delete_txn_modify_and_stats) {
  parsed del{{"delete", "acct/2", "--if-version=1"}};
  BOOST_TEST((del.cmd().op.kind == op_kind::erase_if_version));
  BOOST_TEST(del.cmd().op.expected_version == 1u);
  BOOST_TEST(del.cmd().op.value == "");
  // Each txn argument splits at its first '='.
  parsed txn{{"txn", "acct/1=70", "acct/2=a=b", "acct/3="}};
  auto& w = txn.cmd().writes;
  BOOST_REQUIRE(w.size() == 3u);
  BOOST_TEST(w[0].first == "acct/1");
  BOOST_TEST(w[0].second == "70");
  BOOST_TEST(w[1].first == "acct/2");
  BOOST_TEST(w[1].second == "a=b");
  BOOST_TEST(w[2].second == "");
  parsed with_arg{{"modify", "counter/1", "add", "5"}};
  BOOST_TEST(with_arg.cmd().change.id == "counter/1");
  BOOST_TEST(with_arg.cmd().change.name == "add");
  BOOST_TEST(with_arg.cmd().change.arg == "5");
  parsed no_arg{{"modify", "counter/1", "reset"}};
  BOOST_TEST(no_arg.cmd().change.arg == "");
  parsed stats{{"stats"}};
  BOOST_TEST(stats.cmd().name == "stats");
  BOOST_TEST(stats.cmd().args.empty());
}

BOOST_AUTO_TEST_CASE(ids_are_passed_on_as_given_for_the_server_to_check) {
  // The server's limits decide (exit 4, invalid_argument), not the CLI.
  parsed bad{{"get", "bad id!"}};
  BOOST_TEST(bad.cmd().id == "bad id!");
  parsed empty{{"put", "", "x", "--if-absent"}};
  BOOST_TEST(empty.cmd().op.id == "");
}

BOOST_AUTO_TEST_CASE(help_is_exit_0_with_commands_and_exit_codes) {
  for (auto args : {std::vector<std::string>{"--help"},
                    std::vector<std::string>{"put", "--help"},
                    std::vector<std::string>{"-h"}}) {
    parsed p{args};
    BOOST_TEST(p.res.exit_code == exit_ok);
    BOOST_TEST(!p.res.cmd);
    BOOST_TEST(contains(p.res.output, "exit codes:"), p.res.output);
    BOOST_TEST(contains(p.res.output, "modify ID OP [ARG]"), p.res.output);
  }
}

BOOST_AUTO_TEST_CASE(scan_carries_its_options) {
  parsed p{{"scan", "--prefix=acct/", "--after=acct/7", "--limit=5", "--all",
            "--include-deleted"}};
  BOOST_TEST(p.cmd().name == "scan");
  BOOST_TEST(p.cmd().scan.prefix == "acct/");
  BOOST_TEST(p.cmd().scan.after == "acct/7");
  BOOST_TEST(p.cmd().scan.limit == 5u);
  BOOST_TEST(p.cmd().scan.include_deleted);
  BOOST_TEST(p.cmd().all_pages);
  parsed plain{{"scan"}};
  BOOST_TEST(plain.cmd().scan.prefix.empty());
  BOOST_TEST(plain.cmd().scan.limit == 100u);
  BOOST_TEST(!plain.cmd().all_pages);
  BOOST_TEST(!plain.cmd().scan.include_deleted);
  expect_usage_error({"scan", "x"}, "expected: entact scan");
  expect_usage_error({"get", "a", "--limit=3"}, "apply to scan only");
  expect_usage_error({"scan", "--limit=4294967296"}, "--limit");
}

BOOST_AUTO_TEST_CASE(cluster_carries_its_address_for_the_entity_commands) {
  for (auto args : std::vector<std::vector<std::string>>{
         {"get", "a"}, {"put", "a", "1", "--if-absent"},
         {"delete", "a", "--if-version=2"}, {"txn", "a=1", "b=2"},
         {"modify", "a", "add", "5"}}) {
    args.insert(args.begin(), "--cluster=127.0.0.1:2181/shop");
    parsed p{args};
    BOOST_TEST(p.res.exit_code == exit_ok, p.res.output);
    BOOST_TEST(p.cmd().name == args[1]);
    BOOST_TEST(p.cfg.cluster == "127.0.0.1:2181/shop");
  }
  parsed after{{"--json", "txn", "a=1", "b=2",
                "--cluster=zk-1.example:2181/s_2", "--timeout-ms=500"}};
  BOOST_TEST(after.cmd().writes.size() == 2u);
  BOOST_TEST(after.cfg.cluster == "zk-1.example:2181/s_2");
  BOOST_TEST(after.cfg.timeout_ms == 500u);
  parsed none{{"get", "a"}};
  BOOST_TEST(none.cfg.cluster.empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(bad_command_lines)

BOOST_AUTO_TEST_CASE(unknown_or_missing_commands) {
  expect_usage_error({}, "missing command (get, put, delete, txn, modify, "
                         "scan, stats)");
  expect_usage_error({"frobnicate", "x"},
                     "unknown command 'frobnicate' (get, put, delete, txn, "
                     "modify, scan, stats)");
  expect_usage_error({"--bogus", "get", "a"}, "unknown option");
  expect_usage_error({"--port=abc", "get", "a"}, "bad option value");
  expect_usage_error({"--port=70000", "get", "a"}, "bad option value");
}

BOOST_AUTO_TEST_CASE(wrong_arity) {
  expect_usage_error({"get"}, "expected: entact get ID");
  expect_usage_error({"get", "a", "b"}, "expected: entact get ID");
  expect_usage_error({"put", "a", "--force"}, "expected: entact put ID VALUE");
  expect_usage_error({"delete", "a", "b", "--if-version=1"},
                     "expected: entact delete ID");
  expect_usage_error({"txn"}, "expected: entact txn ID=VALUE");
  expect_usage_error({"txn", "acct/1"}, "txn arguments are ID=VALUE, got "
                                        "'acct/1'");
  expect_usage_error({"modify", "a"}, "expected: entact modify ID OP [ARG]");
  expect_usage_error({"modify", "a", "add", "1", "2"}, "expected: entact "
                                                       "modify");
  expect_usage_error({"stats", "x"}, "expected: entact stats");
}

BOOST_AUTO_TEST_CASE(put_and_delete_modes) {
  expect_usage_error({"put", "a", "1"}, "put needs one of --if-version=N");
  expect_usage_error({"put", "a", "1", "--if-absent", "--force"},
                     "put takes only one of");
  expect_usage_error({"delete", "a"}, "delete needs --if-version=N");
  expect_usage_error({"delete", "a", "--if-version=1", "--force"},
                     "delete takes --if-version=N only");
  // An empty one is CAF's "option needs a value".
  expect_usage_error({"put", "a", "1", "--if-version="},
                     "option needs a value: --if-version=");
  for (auto bad : {"abc", "-1", "1x", "18446744073709551616"})
    expect_usage_error({"put", "a", "1", std::string{"--if-version="} + bad},
                       "--if-version needs a number, got '" + std::string{bad}
                         + "'");
  expect_usage_error({"get", "a", "--force"}, "apply to put and delete only, "
                                              "not to get");
  expect_usage_error({"stats", "--if-absent"}, "not to stats");
  expect_usage_error({"txn", "a=1", "--if-version=1"}, "not to txn");
}

BOOST_AUTO_TEST_CASE(options_that_would_do_nothing_or_cannot_work) {
  expect_usage_error({"--openssl.cafile=ca.pem", "stats"},
                     "--openssl.cafile: no such module is loaded");
  expect_usage_error({"--tls-cert=me.pem", "get", "a"}, "");
  expect_usage_error({"--port=0", "get", "a"},
                     "--host, --port and --timeout-ms must not be empty or 0");
  expect_usage_error({"--timeout-ms=0", "get", "a"}, "must not be empty or 0");
  expect_usage_error({"--host=", "get", "a"}, "option needs a value");
}

BOOST_AUTO_TEST_CASE(cluster_addresses_that_are_malformed) {
  auto form = std::string{"--cluster=HOST:PORT/NAME"};
  expect_usage_error({"--cluster=", "get", "a"}, "option needs a value");
  for (auto bad : {"127.0.0.1:2181", "127.0.0.1:2181/", "/shop",
                   "127.0.0.1/shop", ":2181/shop", "127.0.0.1:0/shop",
                   "127.0.0.1:65536/shop", "127.0.0.1:x/shop",
                   "h1:2181,h2:2181/shop", "127.0.0.1:2181/a/b",
                   "127.0.0.1:2181/a.b", "127.0.0.1:2181/sh op"})
    expect_usage_error({std::string{"--cluster="} + bad, "get", "a"}, form);
  expect_usage_error({"--cluster=127.0.0.1:2181/"
                        + std::string(65, 'n'),
                      "get", "a"},
                     "longer than 64 bytes");
}

BOOST_AUTO_TEST_CASE(cluster_with_one_servers_options_or_commands) {
  auto zk = std::string{"--cluster=127.0.0.1:2181/shop"};
  expect_usage_error({zk, "--port=7411", "get", "a"}, "drop --host and --port");
  expect_usage_error({zk, "--host=127.0.0.1", "get", "a"},
                     "drop --host and --port");
  // Before the files are looked at: this one does not exist.
  expect_usage_error({zk, "--tls-ca=no-such-ca.pem", "get", "a"},
                     "--tls-* options do not apply to --cluster");
  expect_usage_error({zk, "--tls-server-name=node", "get", "a"},
                     "--tls-* options do not apply to --cluster");
  expect_usage_error({zk, "scan", "--prefix=acct/"},
                     "scan is not served with --cluster");
  expect_usage_error({"stats", zk}, "stats is not served with --cluster");
  // The command's own usage errors come first.
  expect_usage_error({zk, "put", "a", "1"}, "put needs one of");
}

BOOST_AUTO_TEST_SUITE_END()
