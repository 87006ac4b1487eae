// `entact cluster move` and the moves in `entact cluster status`, through
// the real CLI binary against a real ZooKeeper. The members are sessions
// of the test (no entactd): a move started stays in progress, which is what
// status shows and --abort ends. (Moves carried out by real nodes:
// test_cluster_move, test_cluster_move_crash.)
#include <boost/test/unit_test.hpp>

#include <nlohmann/json.hpp>

#include "entact/cluster/cluster_admin.hpp"
#include "entact/cluster/move_admin.hpp"
#include "support/cluster_fixture.hpp"
#include "support/run_command.hpp"

using namespace entact;
using namespace entact::cluster;

namespace {

struct cli_move_fixture : test::cluster_fixture {
  test::command_result cli(std::vector<std::string> args) {
    args.insert(args.begin(), {ENTACT_CLI_PATH, "cluster"});
    args.push_back("--zk=" + zk.hosts());
    args.push_back("--cluster=shop");
    return test::run_command(args);
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(cli_cluster_move, cli_move_fixture)

BOOST_AUTO_TEST_CASE(move_status_and_abort) {
  BOOST_REQUIRE(!create_cluster(*admin, "shop", 2));
  auto n1 = test::open_session(zk);
  auto n2 = test::open_session(zk);
  BOOST_REQUIRE(!register_member(*n1, "shop", "n1", "127.0.0.1:7001"));
  BOOST_REQUIRE(!register_member(*n2, "shop", "n2", "127.0.0.1:7002"));
  BOOST_REQUIRE(assign_unowned(*admin, "shop"));
  auto before = read_cluster(*admin, "shop");
  BOOST_REQUIRE(before);
  BOOST_REQUIRE(before->map[0].record.owner == "n1");

  // Refused, each with its reason and exit code, and nothing written.
  struct refusal {
    std::vector<std::string> args;
    int code;
    std::string says;
  };
  for (auto& r : std::vector<refusal>{
         {{"move", "--shard=0"}, 64, "--to=NODE or --abort"},
         {{"move", "--shard=0", "--to=n2", "--abort"}, 64, "either"},
         {{"move", "--to=n2"}, 64, "--shard"},
         {{"move", "--shard=0", "--to=a/b"}, 64, "--to"},
         {{"move", "--shard=7", "--to=n2"}, 64, "no shard 7"},
         {{"move", "--shard=0", "--to=n1"}, 64, "already"},
         {{"move", "--shard=0", "--to=n9"}, 3, "not a live member"},
         {{"move", "--shard=0", "--abort"}, 2, "no move"}}) {
    auto out = cli(r.args);
    BOOST_TEST(out.exit_code == r.code, out.err);
    BOOST_TEST(out.err.find(r.says) != std::string::npos, out.err);
  }
  BOOST_TEST(read_moves(*admin, "shop")->empty());

  auto started = cli({"move", "--shard=0", "--to=n2"});
  BOOST_TEST(started.exit_code == 0, started.err);
  BOOST_TEST(started.out == "moving shard 0 from n1 to n2\n");
  auto twice = cli({"move", "--shard=0", "--to=n2", "--json"});
  BOOST_TEST(twice.exit_code == 1);
  BOOST_TEST(nlohmann::json::parse(twice.out)["error"] == "conflict");
  // No node carries it out here: --wait-ms gives up, the move stays.
  auto waited = cli({"move", "--shard=1", "--to=n1", "--wait-ms=200"});
  BOOST_TEST(waited.exit_code == 1, waited.err);
  BOOST_TEST(waited.err.find("still in progress") != std::string::npos,
             waited.err);

  // Its members do not answer (no entactd): exit 3, the moves printed.
  auto text = cli({"status"});
  BOOST_TEST(text.exit_code == 3, text.err);
  BOOST_TEST(text.out.find("move of shard 0: n1 -> n2 (copying, begun at "
                           "epoch 1)")
               != std::string::npos,
             text.out);
  auto json = cli({"status", "--json"});
  auto j = nlohmann::json::parse(json.out);
  BOOST_REQUIRE(j["moves"].size() == 2u);
  BOOST_TEST(j["moves"][0]["shard"] == 0);
  BOOST_TEST(j["moves"][0]["to"] == "n2");
  BOOST_TEST(j["moves"][0]["state"] == "copying");

  auto aborted = cli({"move", "--shard=0", "--abort"});
  BOOST_TEST(aborted.exit_code == 0, aborted.err);
  BOOST_TEST(aborted.out == "aborted the move of shard 0\n");
  BOOST_TEST(cli({"move", "--shard=1", "--abort"}).exit_code == 0);
  BOOST_TEST(read_moves(*admin, "shop")->empty());
  auto after = read_cluster(*admin, "shop");
  BOOST_REQUIRE(after);
  for (uint32_t s = 0; s < 2; ++s) {
    BOOST_TEST(after->map[s].record.owner == before->map[s].record.owner);
    BOOST_TEST(after->map[s].record.epoch == before->map[s].record.epoch);
  }
}

BOOST_AUTO_TEST_SUITE_END()
