// `entact --json`: exact output for records and errors, parseable by a JSON
// parser, and bytes that survive the escaping.

#include <boost/test/unit_test.hpp>

#include <sstream>

#include <boost/property_tree/json_parser.hpp>
#include <boost/property_tree/ptree.hpp>

#include "entact/client.hpp"
#include "support/run_command.hpp"
#include "support/server_process.hpp"

using namespace entact;
using test::command_result;

namespace {

struct json_fixture {
  test::server_process server;

  /// Runs `entact --json --port=<server> args...`.
  command_result cli(std::vector<std::string> args) {
    std::vector<std::string> argv{ENTACT_CLI_PATH, "--json",
                                  "--port=" + std::to_string(server.port())};
    argv.insert(argv.end(), args.begin(), args.end());
    return test::run_command(std::move(argv));
  }
};

boost::property_tree::ptree parse_json(const std::string& text) {
  std::istringstream in{text};
  boost::property_tree::ptree tree;
  boost::property_tree::read_json(in, tree);
  return tree;
}

/// Undoes the CLI's byte escaping: the parser turns each `\u00XX` into the
/// UTF-8 encoding of U+00XX; every such code point is one original byte.
std::string latin1_bytes(const std::string& utf8) {
  std::string out;
  for (size_t i = 0; i < utf8.size(); ++i) {
    auto c = static_cast<unsigned char>(utf8[i]);
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else {
      BOOST_REQUIRE(i + 1 < utf8.size());
      BOOST_REQUIRE((c & 0xe0) == 0xc0); // two-byte form: U+0080..U+07FF
      auto cont = static_cast<unsigned char>(utf8[++i]);
      auto cp = ((c & 0x1fu) << 6) | (cont & 0x3fu);
      BOOST_REQUIRE(cp < 0x100);
      out += static_cast<char>(cp);
    }
  }
  return out;
}

bool starts_with(const std::string& str, const std::string& prefix) {
  return str.compare(0, prefix.size(), prefix) == 0;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(cli_json, json_fixture)

BOOST_AUTO_TEST_CASE(records_are_one_object_per_line) {
  auto created = cli({"put", "acct/1", "100", "--if-absent"});
  BOOST_TEST(created.exit_code == 0, created.err);
  BOOST_TEST(created.out
             == "{\"id\":\"acct/1\",\"version\":1,\"value\":\"100\","
                "\"deleted\":false}\n");
  auto tree = parse_json(created.out);
  BOOST_TEST(tree.get<std::string>("id") == "acct/1");
  BOOST_TEST(tree.get<std::string>("version") == "1");
  BOOST_TEST(tree.get<std::string>("value") == "100");
  BOOST_TEST(tree.get<std::string>("deleted") == "false");
  auto got = cli({"get", "acct/1"});
  BOOST_TEST(got.exit_code == 0);
  BOOST_TEST(got.out == created.out);
  auto deleted = cli({"delete", "acct/1", "--if-version=1"});
  BOOST_TEST(deleted.exit_code == 0, deleted.err);
  BOOST_TEST(deleted.out
             == "{\"id\":\"acct/1\",\"version\":2,\"value\":\"\","
                "\"deleted\":true}\n");
  auto moved = cli({"txn", "acct/1=70", "acct/2=130"});
  BOOST_TEST(moved.exit_code == 0, moved.err);
  BOOST_TEST(moved.out
             == "{\"id\":\"acct/1\",\"version\":3,\"value\":\"70\","
                "\"deleted\":false}\n"
                "{\"id\":\"acct/2\",\"version\":1,\"value\":\"130\","
                "\"deleted\":false}\n");
}

BOOST_AUTO_TEST_CASE(a_conflict_carries_the_stored_record) {
  BOOST_REQUIRE(cli({"put", "acct/1", "100", "--if-absent"}).exit_code == 0);
  BOOST_REQUIRE(cli({"put", "acct/1", "150", "--if-version=1"}).exit_code
                == 0);
  auto stale = cli({"put", "acct/1", "999", "--if-version=1"});
  BOOST_TEST(stale.exit_code == 1);
  BOOST_TEST(stale.out
             == "{\"error\":\"conflict\",\"id\":\"acct/1\","
                "\"expected_version\":1,\"stored\":{\"id\":\"acct/1\","
                "\"version\":2,\"value\":\"150\",\"deleted\":false},"
                "\"attempted_value\":\"999\"}\n");
  auto tree = parse_json(stale.out);
  BOOST_TEST(tree.get<std::string>("error") == "conflict");
  BOOST_TEST(tree.get<std::string>("stored.version") == "2");
  BOOST_TEST(tree.get<std::string>("stored.value") == "150");
  // Against a tombstone: "deleted" is true.
  BOOST_REQUIRE(cli({"delete", "acct/1", "--if-version=2"}).exit_code == 0);
  auto zombie = cli({"put", "acct/1", "z", "--if-version=2"});
  BOOST_TEST(zombie.exit_code == 1);
  BOOST_TEST(zombie.out
             == "{\"error\":\"conflict\",\"id\":\"acct/1\","
                "\"expected_version\":2,\"stored\":{\"id\":\"acct/1\","
                "\"version\":3,\"value\":\"\",\"deleted\":true},"
                "\"attempted_value\":\"z\"}\n");
}

BOOST_AUTO_TEST_CASE(errors_are_objects_too) {
  auto missing = cli({"get", "acct/9"});
  BOOST_TEST(missing.exit_code == 2);
  BOOST_TEST(missing.out
             == "{\"error\":\"not_found\",\"id\":\"acct/9\","
                "\"stored\":{\"id\":\"acct/9\",\"version\":0,"
                "\"value\":\"\",\"deleted\":false},"
                "\"message\":\"never existed\"}\n");
  // A deleted entity: the tombstone and its version.
  BOOST_REQUIRE(cli({"put", "acct/8", "1", "--if-absent"}).exit_code == 0);
  BOOST_REQUIRE(cli({"delete", "acct/8", "--if-version=1"}).exit_code == 0);
  for (auto args : {std::vector<std::string>{"get", "acct/8"},
                    std::vector<std::string>{"put", "acct/8", "2",
                                             "--if-version=2"}}) {
    auto gone = cli(args);
    BOOST_TEST(gone.exit_code == 2);
    BOOST_TEST(gone.out
               == "{\"error\":\"not_found\",\"id\":\"acct/8\","
                  "\"stored\":{\"id\":\"acct/8\",\"version\":2,"
                  "\"value\":\"\",\"deleted\":true},"
                  "\"message\":\"deleted\"}\n");
    BOOST_TEST(parse_json(gone.out).get<std::string>("stored.version") == "2");
  }
  auto bad = cli({"put", "bad id!", "x", "--force"});
  BOOST_TEST(bad.exit_code == 4);
  BOOST_TEST(starts_with(bad.out, "{\"error\":\"invalid_argument\","
                                  "\"id\":\"bad id!\",\"message\":\""),
             bad.out);
  BOOST_TEST(parse_json(bad.out).get<std::string>("message").size() > 0u);
  // Bad usage stays human-readable, on stderr.
  auto usage = cli({"put", "acct/1", "1"});
  BOOST_TEST(usage.exit_code == 64);
  BOOST_TEST(usage.out == "");
  BOOST_TEST(usage.err.size() > 0u);
}

BOOST_AUTO_TEST_CASE(values_are_bytes_and_survive_the_escaping) {
  const std::string value = "q\"b\\s/\n\t\r\x01\x1f\x7f\xc3\xa9\xff end";
  auto put = cli({"put", "bytes/1", value, "--force"});
  BOOST_TEST(put.exit_code == 0, put.err);
  BOOST_TEST(put.out
             == "{\"id\":\"bytes/1\",\"version\":1,\"value\":"
                "\"q\\\"b\\\\s/\\n\\t\\r\\u0001\\u001f\\u007f\\u00c3\\u00a9"
                "\\u00ff end\",\"deleted\":false}\n");
  // Only printable ASCII on the line.
  for (char c : put.out)
    BOOST_TEST((c == '\n' || (c >= 0x20 && c < 0x7f)));
  auto tree = parse_json(put.out);
  BOOST_TEST(latin1_bytes(tree.get<std::string>("value")) == value);
  // And the server stored exactly those bytes.
  auto db = entact::connect("127.0.0.1", server.port());
  BOOST_REQUIRE(db);
  auto rec = (*db)->read("bytes/1");
  BOOST_REQUIRE(rec);
  BOOST_TEST(rec->value == value);
}

BOOST_AUTO_TEST_CASE(stats_and_unreachable_in_json) {
  BOOST_REQUIRE(cli({"put", "a", "1", "--if-absent"}).exit_code == 0);
  auto st = cli({"stats"});
  BOOST_TEST(st.exit_code == 0, st.err);
  BOOST_TEST(st.out
             == "{\"resident\":1,\"activations\":1,\"passivations\":0,"
                "\"modifications\":0,\"modify_writes\":0}\n");
  BOOST_TEST(parse_json(st.out).get<std::string>("activations") == "1");
  BOOST_REQUIRE(server.stop() == 0);
  auto down = cli({"get", "a"});
  BOOST_TEST(down.exit_code == 3);
  BOOST_TEST(starts_with(down.out, "{\"error\":\"unreachable\","), down.out);
  BOOST_TEST(parse_json(down.out).get<std::string>("message").size() > 0u);
}

BOOST_AUTO_TEST_SUITE_END()
