// entactd --http-max-open-transactions: the bound on interactive HTTP
// transactions open at once (`http_options::max_open_transactions`).
// 0 or a value that is not a number exits with the usage code (64) and the
// reason; a bound of 1 is honoured: a second begin while the first is open
// is 503, and one more after the first ends is served.

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include "support/http_client.hpp"
#include "support/run_command.hpp"
#include "support/server_process.hpp"
#include "support/temp_dir.hpp"

using entact::test::problem_of;
using entact::test::response_of;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

httplib::Result begin(httplib::Client& cli, const std::string& id) {
  auto body = json{{"lock", {id}}, {"lease_ms", 60000}}.dump();
  return cli.Post("/v1/transactions/begin", body, "application/json");
}

} // namespace

BOOST_AUTO_TEST_SUITE(http_open_transactions_flag)

BOOST_AUTO_TEST_CASE(zero_or_garbage_exits_with_the_usage_code) {
  for (auto flag : {"--http-max-open-transactions=0",
                    "--http-max-open-transactions=many",
                    "--http-max-open-transactions=-1"}) {
    entact::test::temp_dir dir;
    auto r = entact::test::run_command(
      {ENTACT_ENTACTD_PATH, "--data-dir=" + dir.sub("data"), "--port=0",
       "--http-port=0", flag});
    BOOST_TEST_INFO(flag);
    BOOST_TEST(r.exit_code == 64);
    BOOST_TEST(r.err.find("http-max-open-transactions") != std::string::npos,
               r.err);
  }
}

BOOST_AUTO_TEST_CASE(a_bound_of_one_is_honoured) {
  entact::test::server_process server{
    {"--http-port=0", "--no-sync", "--http-max-open-transactions=1"}};
  auto cli = entact::test::http_client(server.http_port());
  auto first = begin(cli, "a");
  BOOST_REQUIRE(response_of(first).status == 201);
  auto second = begin(cli, "b"); // another id: only the bound refuses it
  BOOST_TEST(response_of(second).status == 503);
  BOOST_TEST(problem_of(*second)["code"] == "overloaded");
  auto txn = json::parse(first->body)["transaction"].get<std::string>();
  auto ended = cli.Delete(("/v1/transactions/" + txn).c_str());
  BOOST_TEST(response_of(ended).status == 204);
  BOOST_TEST(response_of(begin(cli, "b")).status == 201);
}

BOOST_AUTO_TEST_SUITE_END()
