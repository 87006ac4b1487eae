// `entact cluster create|status|assign` against a real ZooKeeper (one for
// the whole program, each case its own cluster name), through the real CLI
// binary; status's prepared (in-doubt) transactions with 3 real entactd.
#include <boost/test/unit_test.hpp>

#include <nlohmann/json.hpp>

#include "entact/cluster/cluster_admin.hpp"
#include "support/cluster_fixture.hpp"
#include "support/cross_node_cluster.hpp"
#include "support/run_command.hpp"

using namespace entact;
using namespace entact::cluster;
using namespace std::chrono_literals;

namespace {

struct cli_cluster_fixture {
  test::zookeeper_process& zk = test::shared_zookeeper::server();
  std::unique_ptr<zk_session> admin = test::open_session(zk);

  test::command_result cli(std::vector<std::string> args) {
    args.insert(args.begin(), {ENTACT_CLI_PATH, "cluster"});
    return test::run_command(args);
  }
  std::string zk_opt() {
    return "--zk=" + zk.hosts();
  }
};

} // namespace

using test::shared_zookeeper;
BOOST_TEST_GLOBAL_FIXTURE(shared_zookeeper);

BOOST_FIXTURE_TEST_SUITE(cli_cluster, cli_cluster_fixture)

BOOST_AUTO_TEST_CASE(create_makes_the_cluster_once) {
  auto made = cli({"create", zk_opt(), "--cluster=shop", "--shards=6"});
  BOOST_TEST(made.exit_code == 0, made.err);
  BOOST_TEST(made.out == "created cluster shop with 6 shards\n");
  auto view = read_cluster(*admin, "shop");
  BOOST_REQUIRE(view);
  BOOST_TEST(view->shards == 6u);
  auto again = cli({"create", zk_opt(), "--cluster=shop", "--shards=2",
                    "--json"});
  BOOST_TEST(again.exit_code == 1);
  auto j = nlohmann::json::parse(again.out);
  BOOST_TEST(j["error"] == "conflict");
  BOOST_TEST(read_cluster(*admin, "shop")->shards == 6u);
}

// The members are sessions of the test, not entactd: nothing answers at
// their addresses, so status says so for each and exits 3, everything
// read from ZooKeeper printed all the same.
BOOST_AUTO_TEST_CASE(status_lists_members_shards_and_epochs) {
  BOOST_REQUIRE(!create_cluster(*admin, "shop_status", 4));
  auto n1 = test::open_session(zk);
  auto n2 = test::open_session(zk);
  BOOST_REQUIRE(!register_member(*n1, "shop_status", "n1", "127.0.0.1:7001"));
  BOOST_REQUIRE(!register_member(*n2, "shop_status", "n2", "127.0.0.1:7002"));
  auto before = cli({"status", zk_opt(), "--cluster=shop_status", "--json"});
  BOOST_TEST(before.exit_code == 3, before.err);
  BOOST_TEST(before.err.find("member n1 at 127.0.0.1:7001 did not answer")
               != std::string::npos,
             before.err);
  auto j = nlohmann::json::parse(before.out);
  BOOST_TEST(j["shards"] == 4);
  BOOST_TEST(j["members"].size() == 2u);
  BOOST_TEST(j["members"][0]["answered"] == false);
  BOOST_TEST(j["members"][0]["error"].get<std::string>().find("unreachable")
               != std::string::npos,
             j["members"][0]["error"]);
  BOOST_TEST(j["unanswered"] == nlohmann::json::array({"n1", "n2"}));
  BOOST_TEST(j["prepared_total"] == 0);
  BOOST_TEST(j["map"][0]["owner"] == "");
  BOOST_TEST(j["map"][0]["live"] == false);
  auto assigned = cli({"assign", zk_opt(), "--cluster=shop_status"});
  BOOST_TEST(assigned.exit_code == 0, assigned.err);
  auto after = cli({zk_opt(), "--json", "status", "--cluster=shop_status"});
  BOOST_TEST(after.exit_code == 3, after.err);
  j = nlohmann::json::parse(after.out);
  BOOST_TEST(j["members"][0]["node_id"] == "n1");
  BOOST_TEST(j["members"][0]["address"] == "127.0.0.1:7001");
  BOOST_TEST(j["members"][0]["shards"] == 2);
  BOOST_TEST(j["members"][1]["shards"] == 2);
  for (auto& e : j["map"]) {
    BOOST_TEST(e["epoch"] == 1);
    BOOST_TEST(e["live"] == true);
  }
  auto text = cli({"status", zk_opt(), "--cluster=shop_status",
                   "--member-timeout-ms=500"});
  BOOST_TEST(text.exit_code == 3);
  BOOST_TEST(text.out.find("member n1 at 127.0.0.1:7001: 2 shards, no answer")
             != std::string::npos, text.out);
  BOOST_TEST(text.out.find("shard 0: n1 epoch 1") != std::string::npos,
             text.out);
}

BOOST_AUTO_TEST_CASE(bad_input_is_a_usage_error_and_changes_nothing) {
  for (auto& args : std::vector<std::vector<std::string>>{
         {"create", zk_opt(), "--cluster=a/b", "--shards=2"},
         {"create", zk_opt(), "--cluster=ok", "--shards=0"},
         {"create", zk_opt(), "--cluster=ok", "--shards=5000"},
         {"create", "--zk=nohost", "--cluster=ok", "--shards=2"},
         {"create", zk_opt(), "--cluster=ok"},
         {"frobnicate", zk_opt(), "--cluster=ok"},
         {zk_opt(), "--cluster=ok"},
         {"status", zk_opt(), "--cluster=ok", "--no-such-option"},
         {"status", zk_opt(), "--cluster=ok", "--member-timeout-ms=0"}}) {
    auto r = cli(args);
    BOOST_TEST(r.exit_code == 64, r.err);
    BOOST_TEST(!r.err.empty());
  }
  BOOST_TEST(code_of(read_cluster(*admin, "ok").error()) == errc::not_found);
  auto missing = cli({"status", zk_opt(), "--cluster=ok"});
  BOOST_TEST(missing.exit_code == 2);
  auto nowhere = cli({"status",
                      "--zk=127.0.0.1:" + std::to_string(
                        test::free_loopback_port()),
                      "--cluster=ok", "--timeout-ms=300"});
  BOOST_TEST(nowhere.exit_code == 3);
}

BOOST_AUTO_TEST_SUITE_END()

namespace {

/// `entact cluster status --json` of cluster `c`: its exit code and JSON.
std::pair<int, nlohmann::json> status_of(const test::cross_node_cluster& c) {
  auto r = test::run_command({ENTACT_CLI_PATH, "cluster", "status",
                              "--zk=" + c.zk.hosts(), "--cluster=" + c.name,
                              "--json"});
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  return {r.exit_code, j};
}

/// The prepared transactions status lists at member `node` (none if it is
/// not listed or did not answer).
nlohmann::json prepared_at(const nlohmann::json& status,
                           const std::string& node) {
  if (status.is_object())
    for (auto& m : status["members"])
      if (m["node_id"] == node && m["answered"] == true)
        return m["prepared"];
  return nlohmann::json::array();
}

} // namespace

// A transaction left prepared with its decision holder down: n2 exits once
// its vote is durable (entactd's --twopc-test-crash-at), then n1, the
// holder, is killed before n2 comes back. n2 keeps the transaction prepared
// and asks n1 in vain; status shows it (text and JSON) with what n2 got.
// n1 back, n2 learns the (presumed) abort and status shows nothing.
BOOST_AUTO_TEST_CASE(status_lists_a_prepared_transaction_until_its_holder_is_back) {
  test::cross_node_cluster c{"status_in_doubt", 2000,
                             {{"n2", {"--twopc-test-crash-at=prepared"}}}};
  auto db = c.connect();
  auto from = c.ids_of("n1", 1).front();
  auto to = c.ids_of("n2", 1).front();
  BOOST_REQUIRE(db->create(from, "100"));
  BOOST_REQUIRE(db->create(to, "100"));
  BOOST_TEST(!test::transfer(*db, from, to, 10));
  BOOST_REQUIRE_EQUAL(c.nodes.at("n2")->wait_exit_for(30s), 86);
  c.nodes.at("n1")->crash();
  c.restart_plain("n2");
  // Still locked: a read of the held id is in doubt, once the new n2
  // serves (its old session, whose member record status would list too,
  // has expired and it has registered again).
  auto at_n2 = c.direct("n2");
  BOOST_REQUIRE(test::wait_until(
    [&] {
      auto held = at_n2->get(to);
      return !held && code_of(held.error()) == errc::in_doubt;
    },
    30s, 50ms));

  // Once n1's session is gone, every member answers: exit 0.
  nlohmann::json j;
  auto listed = test::wait_until(
    [&] {
      auto [code, status] = status_of(c);
      auto p = prepared_at(status, "n2");
      j = status;
      return code == 0 && p.size() == 1 && p[0]["asks"] > 0
             && !p[0]["last_answer"].get<std::string>().empty();
    },
    30s, 100ms);
  BOOST_REQUIRE_MESSAGE(listed, j.dump());
  BOOST_TEST(j["prepared_total"] == 1);
  auto p = prepared_at(j, "n2")[0];
  auto holder = "127.0.0.1:" + std::to_string(c.ports.at("n1"));
  BOOST_TEST(p["holder"] == holder);
  BOOST_TEST(p["holder_live"] == false);
  BOOST_TEST(p["ids"] == nlohmann::json::array({to}));
  BOOST_TEST(p["id_count"] == 1);
  BOOST_TEST(p["participants"].size() == 2u);
  BOOST_TEST(p["age_ms"] > 0);
  BOOST_TEST(p["last_answer"].get<std::string>().find("unreachable")
               != std::string::npos,
             p["last_answer"]);
  auto name = p["name"].get<std::string>();
  auto text = test::run_command({ENTACT_CLI_PATH, "cluster", "status",
                                 "--zk=" + c.zk.hosts(),
                                 "--cluster=" + c.name});
  BOOST_TEST(text.out.find("prepared at n2: " + name + ", holder " + holder
                           + " (not a live member), 1 ids: " + to)
               != std::string::npos,
             text.out);
  BOOST_TEST(text.out.find("prepared transactions: 1\n") != std::string::npos,
             text.out);

  c.restart_plain("n1");
  auto resolved = test::wait_until(
    [&] {
      auto [code, status] = status_of(c);
      j = status;
      return code == 0 && status["members"].size() == 3
             && status["prepared_total"] == 0;
    },
    30s, 100ms);
  BOOST_TEST(resolved, j.dump());
  BOOST_TEST(db->get(from)->value == "100");
  BOOST_TEST(db->get(to)->value == "100");
  BOOST_TEST(test::touch_all(*db, {from, to}).engaged());
}
