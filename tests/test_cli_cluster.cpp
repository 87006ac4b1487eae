// `entact cluster create|status|assign` against a real ZooKeeper, through
// the real CLI binary.
#include <boost/test/unit_test.hpp>

#include <nlohmann/json.hpp>

#include "entact/cluster/cluster_admin.hpp"
#include "support/cluster_fixture.hpp"
#include "support/run_command.hpp"

using namespace entact;
using namespace entact::cluster;

namespace {

struct cli_cluster_fixture : test::cluster_fixture {
  test::command_result cli(std::vector<std::string> args) {
    args.insert(args.begin(), {ENTACT_CLI_PATH, "cluster"});
    return test::run_command(args);
  }
  std::string zk_opt() {
    return "--zk=" + zk.hosts();
  }
};

} // namespace

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

BOOST_AUTO_TEST_CASE(status_lists_members_shards_and_epochs) {
  BOOST_REQUIRE(!create_cluster(*admin, "shop", 4));
  auto n1 = test::open_session(zk);
  auto n2 = test::open_session(zk);
  BOOST_REQUIRE(!register_member(*n1, "shop", "n1", "127.0.0.1:7001"));
  BOOST_REQUIRE(!register_member(*n2, "shop", "n2", "127.0.0.1:7002"));
  auto before = cli({"status", zk_opt(), "--cluster=shop", "--json"});
  BOOST_TEST(before.exit_code == 0, before.err);
  auto j = nlohmann::json::parse(before.out);
  BOOST_TEST(j["shards"] == 4);
  BOOST_TEST(j["members"].size() == 2u);
  BOOST_TEST(j["map"][0]["owner"] == "");
  BOOST_TEST(j["map"][0]["live"] == false);
  auto assigned = cli({"assign", zk_opt(), "--cluster=shop"});
  BOOST_TEST(assigned.exit_code == 0, assigned.err);
  auto after = cli({zk_opt(), "--json", "status", "--cluster=shop"});
  BOOST_TEST(after.exit_code == 0, after.err);
  j = nlohmann::json::parse(after.out);
  BOOST_TEST(j["members"][0]["node_id"] == "n1");
  BOOST_TEST(j["members"][0]["address"] == "127.0.0.1:7001");
  BOOST_TEST(j["members"][0]["shards"] == 2);
  BOOST_TEST(j["members"][1]["shards"] == 2);
  for (auto& e : j["map"]) {
    BOOST_TEST(e["epoch"] == 1);
    BOOST_TEST(e["live"] == true);
  }
  auto text = cli({"status", zk_opt(), "--cluster=shop"});
  BOOST_TEST(text.exit_code == 0);
  BOOST_TEST(text.out.find("member n1 at 127.0.0.1:7001: 2 shards")
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
         {"status", zk_opt(), "--cluster=ok", "--no-such-option"}}) {
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
