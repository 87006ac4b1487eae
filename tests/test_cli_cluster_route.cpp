// `entact --cluster=HOST:PORT/NAME` against 3 real entactd nodes on the
// shared ZooKeeper, through the real CLI binary: each id goes to the node
// that owns its shard (read back there directly; the other nodes refuse
// it), a txn over two nodes commits both, a stale --if-version is exit 1,
// and what the cluster client cannot serve is a usage error.
#include <boost/test/unit_test.hpp>

#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/cross_node_cluster.hpp"
#include "support/run_command.hpp"

using namespace entact;

namespace {

/// The CLI with `--cluster=<c>` first, the rest of `args` after it.
test::command_result cli_at(const test::cross_node_cluster& c,
                            std::vector<std::string> args) {
  args.insert(args.begin(), {ENTACT_CLI_PATH, "--cluster=" + c.address(),
                             "--json", "--timeout-ms=20000"});
  return test::run_command(args);
}

/// The records a --json command printed, one object a line, by id.
std::map<std::string, nlohmann::json> records_of(const std::string& out) {
  std::map<std::string, nlohmann::json> by_id;
  std::istringstream lines{out};
  for (std::string line; std::getline(lines, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object() && j.contains("id"))
      by_id[j["id"].get<std::string>()] = j;
  }
  return by_id;
}

/// The value of `id` at `node`, or its error's name.
std::string value_at(client& node, const std::string& id) {
  auto r = node.get(id);
  return r ? r->value : to_string(code_of(r.error()));
}

} // namespace

using test::shared_zookeeper;
BOOST_TEST_GLOBAL_FIXTURE(shared_zookeeper);

BOOST_AUTO_TEST_CASE(entity_commands_go_to_the_owner_of_each_shard) {
  test::cross_node_cluster c{"cli_route"};
  // One plain client per node (not one per call: see prepared_at).
  std::map<std::string, std::unique_ptr<client>> node;
  for (auto& n : c.node_ids)
    node[n] = c.direct(n);
  std::map<std::string, std::string> owner;
  for (auto& n : c.node_ids)
    owner[c.ids_of(n, 1).front()] = n;

  for (auto& [id, n] : owner) {
    auto put = cli_at(c, {"put", id, "100", "--if-absent"});
    BOOST_REQUIRE_MESSAGE(put.exit_code == 0, put.err);
    BOOST_TEST(records_of(put.out)[id]["version"] == 1, put.out);
  }
  for (auto& [id, n] : owner) {
    auto got = cli_at(c, {"get", id});
    BOOST_TEST(got.exit_code == 0, got.err);
    BOOST_TEST(records_of(got.out)[id]["value"] == "100", got.out);
    // Stored at its owner, and only there: the others refuse the id.
    for (auto& [other, client] : node) {
      auto r = client->get(id);
      if (other == n) {
        BOOST_TEST_REQUIRE(!!r, (r ? "" : to_string(r.error())));
        BOOST_TEST(r->value == "100");
        BOOST_TEST(r->version == 1u);
      } else {
        BOOST_TEST(!r, id << " answered by " << other);
        if (!r)
          BOOST_TEST(code_of(r.error()) == errc::wrong_node,
                     to_string(r.error()));
      }
    }
  }

  // A txn over n1's and n2's ids: both written, each one version up.
  auto a = c.ids_of("n1", 1).front();
  auto b = c.ids_of("n2", 1).front();
  auto txn = cli_at(c, {"txn", a + "=70", b + "=130"});
  BOOST_TEST_REQUIRE(txn.exit_code == 0, txn.err);
  auto written = records_of(txn.out);
  BOOST_TEST(written[a]["version"] == 2, txn.out);
  BOOST_TEST(written[b]["version"] == 2, txn.out);
  auto at_a = node.at("n1")->get(a);
  auto at_b = node.at("n2")->get(b);
  BOOST_TEST_REQUIRE((at_a && at_b));
  BOOST_TEST(at_a->value == "70");
  BOOST_TEST(at_a->version == 2u);
  BOOST_TEST(at_b->value == "130");
  BOOST_TEST(at_b->version == 2u);

  // A stale --if-version: the conflict exit code, the stored record
  // printed, nothing written.
  auto stale = cli_at(c, {"put", a, "999", "--if-version=1"});
  BOOST_TEST(stale.exit_code == 1, stale.err);
  auto j = nlohmann::json::parse(stale.out, nullptr, false);
  BOOST_TEST(j["error"] == "conflict", stale.out);
  BOOST_TEST(j["expected_version"] == 1, stale.out);
  BOOST_TEST(j["stored"]["version"] == 2, stale.out);
  BOOST_TEST(value_at(*node.at("n1"), a) == "70");

  // modify and delete reach the owner too.
  auto c_id = c.ids_of("n3", 1).front();
  auto mod = cli_at(c, {"modify", c_id, "add", "5"});
  BOOST_TEST(mod.exit_code == 0, mod.err);
  BOOST_TEST(value_at(*node.at("n3"), c_id) == "105");
  auto del = cli_at(c, {"delete", b, "--if-version=2"});
  BOOST_TEST(del.exit_code == 0, del.err);
  BOOST_TEST(value_at(*node.at("n2"), b) == "not_found"); // a tombstone
  auto gone = cli_at(c, {"get", b});
  BOOST_TEST(gone.exit_code == 2, gone.out);
}

BOOST_AUTO_TEST_CASE(what_the_cluster_client_cannot_serve_is_refused) {
  auto& zk = shared_zookeeper::server();
  auto where = "--cluster=" + zk.hosts() + "/cli_route_none";
  for (auto& cmd : std::vector<std::vector<std::string>>{
         {"scan", "--prefix=acct/"}, {"stats"}}) {
    std::vector<std::string> args{ENTACT_CLI_PATH, where};
    args.insert(args.end(), cmd.begin(), cmd.end());
    auto r = test::run_command(args);
    BOOST_TEST(r.exit_code == 64, r.err);
    BOOST_TEST(r.out.empty(), r.out);
    BOOST_TEST(r.err.find(cmd[0] + " is not served with --cluster")
                 != std::string::npos,
               r.err);
  }
  auto tls = test::run_command({ENTACT_CLI_PATH, where, "--tls-ca=ca.pem",
                                "get", "acct/1"});
  BOOST_TEST(tls.exit_code == 64, tls.err);
  BOOST_TEST(tls.err.find("do not apply to --cluster") != std::string::npos,
             tls.err);
  // No such cluster: not_found, as `entact cluster status` says.
  auto none = test::run_command({ENTACT_CLI_PATH, where, "get", "acct/1"});
  BOOST_TEST(none.exit_code == 2, none.err);
  BOOST_TEST(none.err.find("not_found") != std::string::npos, none.err);
  // No ZooKeeper there: unreachable, within the deadline.
  auto nowhere = test::run_command(
    {ENTACT_CLI_PATH,
     "--cluster=127.0.0.1:" + std::to_string(test::free_loopback_port())
       + "/cli_route",
     "--timeout-ms=300", "get", "acct/1"});
  BOOST_TEST(nowhere.exit_code == 3, nowhere.err);
  BOOST_TEST(nowhere.err.find("unreachable") != std::string::npos,
             nowhere.err);
}
