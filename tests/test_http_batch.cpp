// POST /v1/batch against a real entactd: atomic apply_batch, 409 with the
// conflict payload, and malformed bodies refused with nothing changed.
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
  entact::test::server_process server{
    {"--http-port=0", "--max-txn-entities=4", "--no-sync"}};
  httplib::Client cli = entact::test::http_client(server.http_port());

  const httplib::Response& batch(const std::string& body,
                                 const char* type = "application/json") {
    last_.emplace(cli.Post("/v1/batch", body, type));
    return response_of(*last_);
  }

  const httplib::Response& batch(const json& body) {
    return batch(body.dump());
  }

  /// The entity's ETag, or "404".
  std::string etag_of(const std::string& id) {
    auto res = cli.Get(("/v1/entities/" + id).c_str());
    return response_of(res).status == 404 ? "404"
                                          : res->get_header_value("ETag");
  }

  std::optional<httplib::Result> last_;
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(http_batch, http_server)

BOOST_AUTO_TEST_CASE(a_batch_applies_all_its_writes) {
  auto& made = batch(json{{"writes",
                           {{{"id", "a"}, {"if_absent", true}, {"value", "1"}},
                            {{"id", "b"}, {"if_absent", true},
                             {"value_base64", "AP8="}}}}});
  BOOST_TEST(made.status == 200);
  auto body = json::parse(made.body);
  BOOST_TEST(body["records"].size() == 2u);
  BOOST_TEST(body["records"][1]["version"] == 1);
  BOOST_TEST(response_of(cli.Get("/v1/entities/b")).body
             == std::string("\x00\xff", 2));
  auto& next = batch(json{
    {"writes",
     {{{"id", "a"}, {"if_version", 1}, {"value", "2"}},
      {{"id", "b"}, {"if_version", 1}, {"delete", true}},
      {{"id", "c"}, {"overwrite", true}, {"value", "3"}}}}});
  BOOST_TEST(next.status == 200);
  BOOST_TEST(etag_of("a") == etag(2));
  BOOST_TEST(etag_of("b") == "404");
  BOOST_TEST(etag_of("c") == etag(1));
}

BOOST_AUTO_TEST_CASE(a_stale_write_is_409_with_the_payload_and_none_apply) {
  batch(json{{"writes",
              {{{"id", "a"}, {"if_absent", true}, {"value", "1"}},
               {{"id", "b"}, {"if_absent", true}, {"value", "1"}}}}});
  auto& stale = batch(json{
    {"writes",
     {{{"id", "a"}, {"if_version", 1}, {"value", "2"}},
      {{"id", "b"}, {"if_version", 5}, {"value", "2"}}}}});
  BOOST_TEST(stale.status == 409);
  auto p = problem_of(stale);
  BOOST_TEST(p["code"] == "conflict");
  BOOST_TEST(p["id"] == "b");
  BOOST_TEST(p["expected_version"] == 5);
  BOOST_TEST(p["stored"]["version"] == 1);
  BOOST_TEST(p["attempted_value"] == "2");
  BOOST_TEST(!stale.has_header("ETag")); // a batch is no one entity
  BOOST_TEST(etag_of("a") == etag(1)); // atomic: a was not written either
}

BOOST_AUTO_TEST_CASE(malformed_batches_are_400_and_change_nothing) {
  batch(json{{"writes", {{{"id", "a"}, {"if_absent", true}, {"value", "1"}}}}});
  auto w = [](json write) { return json{{"writes", {write}}}.dump(); };
  for (const std::string& bad :
       {std::string{"not json"}, std::string{"[]"}, std::string{"{}"},
        std::string{R"({"writes": {}})"},
        std::string{R"({"writes": [], "extra": 1})"},
        w({{"id", "a"}, {"value", "2"}}),
        w({{"id", "a"}, {"if_version", 1}, {"if_absent", true},
           {"value", "2"}}),
        w({{"id", "a"}, {"if_version", -1}, {"value", "2"}}),
        w({{"id", "a"}, {"if_version", 1.5}, {"value", "2"}}),
        w({{"id", "a"}, {"if_version", "1"}, {"value", "2"}}),
        w({{"id", "a"}, {"if_version", 1}}),
        w({{"id", "a"}, {"if_version", 1}, {"value", 2}}),
        w({{"id", "a"}, {"if_version", 1}, {"value", "2"},
           {"value_base64", "Mg=="}}),
        w({{"id", "a"}, {"if_version", 1}, {"value_base64", "not base64"}}),
        w({{"id", "a"}, {"if_version", 1}, {"delete", true}, {"value", "x"}}),
        w({{"id", "a"}, {"if_absent", false}, {"value", "2"}}),
        w({{"id", "a"}, {"if_version", 1}, {"value", "2"}, {"ttl", 5}}),
        w({{"id", 7}, {"if_version", 1}, {"value", "2"}}),
        w({{"id", "bad id"}, {"if_version", 1}, {"value", "2"}}),
        std::string{R"({"writes": []})"}}) {
    BOOST_TEST_INFO("body: " << bad);
    auto& res = batch(bad);
    BOOST_TEST(res.status == 400);
    BOOST_TEST(problem_of(res)["code"] == "invalid_argument");
  }
  BOOST_TEST(etag_of("a") == etag(1));
}

BOOST_AUTO_TEST_CASE(two_writes_to_one_id_are_400) {
  auto& res = batch(json{
    {"writes",
     {{{"id", "a"}, {"if_absent", true}, {"value", "1"}},
      {{"id", "a"}, {"overwrite", true}, {"value", "2"}}}}});
  BOOST_TEST(res.status == 400);
  BOOST_TEST(etag_of("a") == "404");
}

BOOST_AUTO_TEST_CASE(more_writes_than_max_txn_entities_is_413) {
  auto writes = json::array();
  for (int i = 0; i < 5; ++i)
    writes.push_back({{"id", "k" + std::to_string(i)},
                      {"if_absent", true},
                      {"value", "v"}});
  auto& res = batch(json{{"writes", writes}});
  BOOST_TEST(res.status == 413);
  BOOST_TEST(problem_of(res)["code"] == "too_large");
  BOOST_TEST(etag_of("k0") == "404");
}

BOOST_AUTO_TEST_CASE(a_batch_must_be_sent_as_json) {
  auto& res = batch(R"({"writes": []})", "text/plain");
  BOOST_TEST(res.status == 415);
  BOOST_TEST(problem_of(res)["code"] == "unsupported_media_type");
  auto& with_charset = batch(
    json{{"writes", {{{"id", "a"}, {"if_absent", true}, {"value", "1"}}}}}
      .dump(),
    "application/json; charset=utf-8");
  BOOST_TEST(with_charset.status == 200);
}

BOOST_AUTO_TEST_SUITE_END()
