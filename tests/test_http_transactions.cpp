// POST /v1/transactions against a real entactd: writes under locks with
// their preconditions checked against what the locks read, plus reads of
// locked entities, all in one consistent answer.
#include <optional>

#include <boost/test/unit_test.hpp>

#include "support/http_client.hpp"
#include "support/server_process.hpp"

using entact::test::etag;
using entact::test::problem_of;
using entact::test::response_of;
using nlohmann::json;

namespace {

struct http_server {
  entact::test::server_process server{{"--http-port=0", "--no-sync"}};
  httplib::Client cli = entact::test::http_client(server.http_port());

  const httplib::Response& txn(const json& body) {
    last_.emplace(cli.Post("/v1/transactions", body.dump(),
                           "application/json"));
    return response_of(*last_);
  }

  std::string etag_of(const std::string& id) {
    auto res = cli.Get(("/v1/entities/" + id).c_str());
    return response_of(res).status == 404 ? "404"
                                          : res->get_header_value("ETag");
  }

  std::optional<httplib::Result> last_;
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(http_transactions, http_server)

BOOST_AUTO_TEST_CASE(writes_commit_and_reads_come_back_with_them) {
  auto& made = txn(json{
    {"writes",
     {{{"id", "acct/1"}, {"if_absent", true}, {"value", "100"}},
      {{"id", "acct/2"}, {"if_absent", true}, {"value", "0"}}}}});
  BOOST_TEST(made.status == 200);
  auto& moved = txn(json{
    {"writes", {{{"id", "acct/1"}, {"if_version", 1}, {"value", "70"}}}},
    {"reads", {"acct/2"}}});
  BOOST_TEST(moved.status == 200);
  auto body = json::parse(moved.body);
  BOOST_TEST(body["records"][0]["version"] == 2);
  BOOST_TEST(body["records"][0]["value"] == "70");
  BOOST_TEST(body["records"][1]["id"] == "acct/2");
  BOOST_TEST(body["records"][1]["value"] == "0");
  BOOST_TEST(etag_of("acct/1") == etag(2));
  BOOST_TEST(etag_of("acct/2") == etag(1));
}

BOOST_AUTO_TEST_CASE(a_stale_write_is_409_and_nothing_commits) {
  txn(json{{"writes",
            {{{"id", "a"}, {"if_absent", true}, {"value", "1"}},
             {{"id", "b"}, {"if_absent", true}, {"value", "1"}}}}});
  auto& stale = txn(json{
    {"writes",
     {{{"id", "a"}, {"if_version", 1}, {"value", "2"}},
      {{"id", "b"}, {"if_version", 9}, {"value", "2"}}}}});
  BOOST_TEST(stale.status == 409);
  auto p = problem_of(stale);
  BOOST_TEST(p["code"] == "conflict");
  BOOST_TEST(p["id"] == "b");
  BOOST_TEST(p["expected_version"] == 9);
  BOOST_TEST(p["stored"]["version"] == 1);
  BOOST_TEST(etag_of("a") == etag(1));
}

BOOST_AUTO_TEST_CASE(deletes_and_overwrites_follow_the_version_rule) {
  txn(json{{"writes", {{{"id", "a"}, {"if_absent", true}, {"value", "1"}}}}});
  auto& res = txn(json{
    {"writes",
     {{{"id", "a"}, {"if_version", 1}, {"delete", true}},
      {{"id", "c"}, {"overwrite", true}, {"value", "x"}}}}});
  BOOST_TEST(res.status == 200);
  BOOST_TEST(etag_of("a") == "404");
  BOOST_TEST(etag_of("c") == etag(1));
  auto& gone = txn(json{
    {"writes", {{{"id", "a"}, {"if_version", 2}, {"value", "back"}}}}});
  BOOST_TEST(gone.status == 404); // the tombstone's version: not_found
}

BOOST_AUTO_TEST_CASE(malformed_transactions_are_400_and_change_nothing) {
  txn(json{{"writes", {{{"id", "a"}, {"if_absent", true}, {"value", "1"}}}}});
  for (const auto& bad :
       {json::array(), json{{"writes", {{{"id", "a"}, {"value", "2"}}}}},
        json{{"reads", "a"}}, json{{"reads", {1}}}, json{{"other", 1}},
        json::object(), // no ids at all
        json{{"writes", {{{"id", "a"}, {"if_version", 1}, {"value", "2"}}}},
             {"reads", {"a"}}}}) {
    BOOST_TEST_INFO("body: " << bad.dump());
    auto& res = txn(bad);
    BOOST_TEST(res.status == 400);
  }
  BOOST_TEST(etag_of("a") == etag(1));
}

BOOST_AUTO_TEST_SUITE_END()
