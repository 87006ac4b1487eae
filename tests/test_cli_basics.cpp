// The `entact` CLI against a real entactd: round trips, exit codes and
// what is (not) written.

#include <boost/test/unit_test.hpp>

#include "entact/client.hpp"
#include "support/print.hpp"
#include "support/run_command.hpp"
#include "support/server_process.hpp"
#include "support/silent_listener.hpp"

using namespace entact;
using test::command_result;

namespace {

/// A real entactd and the `entact` CLI pointed at it.
struct cli_fixture {
  test::server_process server;

  explicit cli_fixture(std::vector<std::string> server_args = {})
    : server(std::move(server_args)) {
    // nop
  }

  /// Runs `entact --port=<server> args...`.
  command_result cli(std::vector<std::string> args) {
    return cli_at(server.port(), std::move(args));
  }

  /// Runs `entact --port=<port> args...`.
  static command_result cli_at(uint16_t port, std::vector<std::string> args) {
    std::vector<std::string> argv{ENTACT_CLI_PATH,
                                  "--port=" + std::to_string(port)};
    argv.insert(argv.end(), args.begin(), args.end());
    return test::run_command(std::move(argv));
  }

  /// A library client of the same server, to check what the CLI did.
  std::unique_ptr<client> connect_client() {
    auto c = entact::connect("127.0.0.1", server.port());
    if (!c)
      throw std::runtime_error("connect failed: " + to_string(c.error()));
    return std::move(*c);
  }
};

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(cli_basics, cli_fixture)

BOOST_AUTO_TEST_CASE(create_update_and_a_stale_update) {
  auto created = cli({"put", "acct/1", "100", "--if-absent"});
  BOOST_TEST(created.exit_code == 0, created.err);
  BOOST_TEST(created.out == "acct/1  v1  100\n");
  BOOST_TEST(created.err == "");
  auto got = cli({"get", "acct/1"});
  BOOST_TEST(got.exit_code == 0);
  BOOST_TEST(got.out == "acct/1  v1  100\n");
  // Options may also come first.
  auto updated = cli({"--if-version=1", "put", "acct/1", "150"});
  BOOST_TEST(updated.exit_code == 0, updated.err);
  BOOST_TEST(updated.out == "acct/1  v2  150\n");
  // Based on v1 again: refused, and the stored record is shown.
  auto stale = cli({"put", "acct/1", "999", "--if-version=1"});
  BOOST_TEST(stale.exit_code == 1);
  BOOST_TEST(stale.out == "");
  BOOST_TEST(contains(stale.err, "conflict"), stale.err);
  BOOST_TEST(contains(stale.err, "expected v1"), stale.err);
  BOOST_TEST(contains(stale.err, "acct/1  v2  150"), stale.err);
  // Creating what exists is a conflict too.
  auto again = cli({"put", "acct/1", "5", "--if-absent"});
  BOOST_TEST(again.exit_code == 1);
  BOOST_TEST(contains(again.err, "acct/1  v2  150"), again.err);
  BOOST_TEST(cli({"get", "acct/1"}).out == "acct/1  v2  150\n");
}

BOOST_AUTO_TEST_CASE(a_put_must_name_exactly_one_mode) {
  auto none = cli({"put", "acct/1", "100"});
  BOOST_TEST(none.exit_code == 64);
  BOOST_TEST(contains(none.err, "--if-version"), none.err);
  BOOST_TEST(none.out == "");
  auto two = cli({"put", "acct/1", "100", "--if-absent", "--force"});
  BOOST_TEST(two.exit_code == 64);
  auto three = cli({"put", "acct/1", "100", "--if-absent", "--force",
                    "--if-version=1"});
  BOOST_TEST(three.exit_code == 64);
  // Nothing reached the server.
  BOOST_TEST(cli({"get", "acct/1"}).exit_code == 2);
}

BOOST_AUTO_TEST_CASE(delete_leaves_a_tombstone) {
  BOOST_REQUIRE(cli({"put", "acct/1", "100", "--if-absent"}).exit_code == 0);
  auto stale_delete = cli({"delete", "acct/1", "--if-version=7"});
  BOOST_TEST(stale_delete.exit_code == 1);
  BOOST_TEST(contains(stale_delete.err, "acct/1  v1  100"), stale_delete.err);
  auto deleted = cli({"delete", "acct/1", "--if-version=1"});
  BOOST_TEST(deleted.exit_code == 0, deleted.err);
  BOOST_TEST(deleted.out == "acct/1  v2  (deleted)\n");
  auto gone = cli({"get", "acct/1"});
  BOOST_TEST(gone.exit_code == 2);
  BOOST_TEST(gone.out == "");
  BOOST_TEST(contains(gone.err, "not_found: acct/1"), gone.err);
  BOOST_TEST(contains(gone.err, "acct/1  v2  (deleted)"), gone.err);
  // A stale writer sees the tombstone and cannot resurrect the entity.
  auto stale = cli({"put", "acct/1", "zombie", "--if-version=1"});
  BOOST_TEST(stale.exit_code == 1);
  BOOST_TEST(contains(stale.err, "acct/1  v2  (deleted)"), stale.err);
  BOOST_TEST(contains(stale.err, "stored is v2 (deleted)"), stale.err);
  // Updating the tombstone's version: not found.
  BOOST_TEST(cli({"put", "acct/1", "x", "--if-version=2"}).exit_code == 2);
  // Deleting what never existed: its version (0) differs, a conflict.
  auto never = cli({"delete", "nobody", "--if-version=1"});
  BOOST_TEST(never.exit_code == 1);
  BOOST_TEST(contains(never.err, "nobody  v0  (absent)"), never.err);
  // A create continues the version sequence.
  auto reborn = cli({"put", "acct/1", "again", "--if-absent"});
  BOOST_TEST(reborn.exit_code == 0);
  BOOST_TEST(reborn.out == "acct/1  v3  again\n");
}

// Version 0 is a version like any other, as in the API (README's table):
// it is the stored version of an entity that never existed.
BOOST_AUTO_TEST_CASE(version_zero_follows_the_version_rule) {
  auto put = cli({"put", "nobody", "x", "--if-version=0"});
  BOOST_TEST(put.exit_code == 2, put.err);
  BOOST_TEST(contains(put.err, "nobody  v0  (absent)"), put.err);
  auto del = cli({"delete", "nobody", "--if-version=0"});
  BOOST_TEST(del.exit_code == 2, del.err);
  // Against an entity that exists, or a tombstone, 0 is stale: a conflict.
  BOOST_REQUIRE(cli({"put", "acct/1", "100", "--if-absent"}).exit_code == 0);
  auto stale = cli({"put", "acct/1", "x", "--if-version=0"});
  BOOST_TEST(stale.exit_code == 1, stale.err);
  BOOST_TEST(contains(stale.err, "acct/1  v1  100"), stale.err);
  BOOST_REQUIRE(cli({"delete", "acct/1", "--if-version=1"}).exit_code == 0);
  BOOST_TEST(cli({"delete", "acct/1", "--if-version=0"}).exit_code == 1);
  auto db = connect_client();
  BOOST_TEST(code_of(db->read("nobody").error()) == errc::not_found);
  BOOST_TEST(code_of(db->update("nobody", 0, "x").error()) == errc::not_found);
}

BOOST_AUTO_TEST_CASE(force_is_last_write_wins) {
  auto first = cli({"put", "cfg/mode", "fast", "--force"});
  BOOST_TEST(first.exit_code == 0, first.err);
  BOOST_TEST(first.out == "cfg/mode  v1  fast\n");
  auto second = cli({"put", "cfg/mode", "safe", "--force"});
  BOOST_TEST(second.exit_code == 0, second.err);
  BOOST_TEST(second.out == "cfg/mode  v2  safe\n");
  // A value that looks like an option, after `--`.
  auto dashed = cli({"put", "--force", "cfg/mode", "--", "--slow"});
  BOOST_TEST(dashed.exit_code == 0, dashed.err);
  BOOST_TEST(dashed.out == "cfg/mode  v3  --slow\n");
  auto db = connect_client();
  auto rec = db->read("cfg/mode");
  BOOST_REQUIRE(rec);
  BOOST_TEST(rec->version == 3u);
  BOOST_TEST(rec->value == "--slow");
}

BOOST_AUTO_TEST_CASE(txn_writes_all_ids_atomically) {
  auto db = connect_client();
  BOOST_REQUIRE(db->create("acct/1", "100"));
  auto moved = cli({"txn", "acct/1=70", "acct/2=130", "acct/3=a=b"});
  BOOST_TEST(moved.exit_code == 0, moved.err);
  BOOST_TEST(moved.out
             == "acct/1  v2  70\nacct/2  v1  130\nacct/3  v1  a=b\n");
  auto recs = db->read_many({"acct/1", "acct/2", "acct/3"});
  BOOST_REQUIRE(recs);
  BOOST_TEST((*recs)[0].value == "70");
  BOOST_TEST((*recs)[0].version == 2u);
  BOOST_TEST((*recs)[1].value == "130");
  BOOST_TEST((*recs)[2].value == "a=b");
  // One bad id refuses the whole transaction: nothing changes.
  auto bad = cli({"txn", "acct/1=0", "acct/2=0", "bad id!=1"});
  BOOST_TEST(bad.exit_code == 4);
  BOOST_TEST(contains(bad.err, "invalid_argument"), bad.err);
  auto after = db->read_many({"acct/1", "acct/2"});
  BOOST_REQUIRE(after);
  BOOST_TEST((*after)[0].value == "70");
  BOOST_TEST((*after)[0].version == 2u);
  BOOST_TEST((*after)[1].value == "130");
  BOOST_TEST((*after)[1].version == 1u);
  // A duplicate id is refused by the server, too.
  BOOST_TEST(cli({"txn", "acct/1=1", "acct/1=2"}).exit_code == 4);
  BOOST_TEST(db->read("acct/1")->version == 2u);
  // Arguments without '=' are bad usage.
  BOOST_TEST(cli({"txn", "acct/1"}).exit_code == 64);
  BOOST_TEST(cli({"txn"}).exit_code == 64);
}

BOOST_AUTO_TEST_CASE(an_invalid_id_is_refused_and_changes_nothing) {
  auto bad = cli({"put", "bad id!", "x", "--force"});
  BOOST_TEST(bad.exit_code == 4);
  BOOST_TEST(contains(bad.err, "invalid_argument"), bad.err);
  BOOST_TEST(bad.out == "");
  BOOST_TEST(cli({"get", "bad id!"}).exit_code == 4);
  BOOST_TEST(cli({"put", "", "x", "--if-absent"}).exit_code == 4);
  auto db = connect_client();
  auto st = db->stats();
  BOOST_REQUIRE(st);
  BOOST_TEST(st->activations == 0u);
  auto recs = db->read_many({"bad"});
  BOOST_REQUIRE(recs);
  BOOST_TEST((*recs)[0].version == no_version);
}

BOOST_AUTO_TEST_CASE(usage_errors_exit_64_without_a_server_call) {
  BOOST_TEST(cli({"frobnicate", "x"}).exit_code == 64);
  BOOST_TEST(contains(cli({"frobnicate"}).err, "unknown command"));
  BOOST_TEST(cli({}).exit_code == 64);
  BOOST_TEST(cli({"get"}).exit_code == 64);
  BOOST_TEST(cli({"get", "a", "b"}).exit_code == 64);
  BOOST_TEST(cli({"get", "a", "--force"}).exit_code == 64);
  BOOST_TEST(cli({"stats", "--if-absent"}).exit_code == 64);
  BOOST_TEST(cli({"put", "a", "1", "--if-version=abc"}).exit_code == 64);
  BOOST_TEST(cli({"put", "a", "1", "--if-version=-1"}).exit_code == 64);
  BOOST_TEST(cli({"put", "a", "1", "--if-version="}).exit_code == 64);
  BOOST_TEST(cli({"delete", "a"}).exit_code == 64);
  BOOST_TEST(cli({"delete", "a", "--if-version=1", "--force"}).exit_code
             == 64);
  auto unknown_option = cli({"--bogus", "get", "a"});
  BOOST_TEST(unknown_option.exit_code == 64);
  BOOST_TEST(contains(unknown_option.err, "unknown option: --bogus"),
             unknown_option.err);
  BOOST_TEST(cli({"--port=abc", "get", "a"}).exit_code == 64);
  // None of it reached the server.
  auto db = connect_client();
  auto st = db->stats();
  BOOST_REQUIRE(st);
  BOOST_TEST(st->activations == 0u);
}

BOOST_AUTO_TEST_CASE(a_value_over_the_limit_is_a_server_error) {
  // Restart with a tiny value limit.
  server.stop();
  cli_fixture small{{"--max-value-bytes=8"}};
  auto big = small.cli({"put", "k", "123456789", "--force"});
  BOOST_TEST(big.exit_code == 4);
  BOOST_TEST(contains(big.err, "too_large"), big.err);
  BOOST_TEST(small.cli({"get", "k"}).exit_code == 2);
  BOOST_TEST(small.cli({"put", "k", "12345678", "--force"}).exit_code == 0);
}

BOOST_AUTO_TEST_CASE(stats_prints_the_counters) {
  BOOST_REQUIRE(cli({"put", "a", "1", "--if-absent"}).exit_code == 0);
  BOOST_REQUIRE(cli({"put", "b", "1", "--if-absent"}).exit_code == 0);
  auto st = cli({"stats"});
  BOOST_TEST(st.exit_code == 0, st.err);
  BOOST_TEST(contains(st.out, "activations   2\n"), st.out);
  BOOST_TEST(contains(st.out, "resident      2\n"), st.out);
  BOOST_TEST(contains(st.out, "passivations  0\n"), st.out);
}

BOOST_AUTO_TEST_CASE(an_unreachable_server_exits_3_quickly) {
  auto port = server.port();
  BOOST_REQUIRE(server.stop() == 0);
  auto down = cli_at(port, {"get", "acct/1"});
  BOOST_TEST(down.exit_code == 3);
  BOOST_TEST(contains(down.err, "unreachable"), down.err);
  BOOST_TEST(down.elapsed.count() < 10000);
  auto write = cli_at(port, {"put", "acct/1", "1", "--force"});
  BOOST_TEST(write.exit_code == 3);
  BOOST_TEST(write.elapsed.count() < 10000);
}

BOOST_AUTO_TEST_CASE(a_server_that_never_answers_times_out_with_3) {
  test::silent_listener hung;
  auto res = cli_at(hung.port(), {"--timeout-ms=1000", "get", "acct/1"});
  BOOST_TEST(res.exit_code == 3);
  BOOST_TEST(contains(res.err, "within 1000 ms"), res.err);
  BOOST_TEST(res.elapsed.count() >= 900);
  BOOST_TEST(res.elapsed.count() < 10000);
}

BOOST_AUTO_TEST_CASE(help_lists_commands_options_and_exit_codes) {
  for (auto args : {std::vector<std::string>{"--help"},
                    std::vector<std::string>{"put", "--help"}}) {
    auto help = cli(args);
    BOOST_TEST(help.exit_code == 0);
    BOOST_TEST(contains(help.out, "--if-version"), help.out);
    BOOST_TEST(contains(help.out, "--timeout-ms"), help.out);
    BOOST_TEST(contains(help.out, "txn ID=VALUE"), help.out);
    BOOST_TEST(contains(help.out, "exit codes:"), help.out);
    BOOST_TEST(contains(help.out, "64  bad usage"), help.out);
  }
}

BOOST_AUTO_TEST_SUITE_END()
