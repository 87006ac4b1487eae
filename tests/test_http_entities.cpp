// GET, HEAD, PUT and DELETE on /v1/entities/{id} against a real entactd
// started with --http-port=0: every status code, ETags, the problem+json
// bodies, and bad input that changes nothing.
#include <optional>

#include <boost/test/unit_test.hpp>

#include "support/http_client.hpp"
#include "support/server_process.hpp"

using entact::test::etag;
using entact::test::problem_of;
using entact::test::response_of;

namespace {

struct http_server {
  entact::test::server_process server{
    {"--http-port=0", "--max-value-bytes=1000", "--no-sync"}};
  httplib::Client cli = entact::test::http_client(server.http_port());

  const httplib::Response& put(const std::string& path,
                               const std::string& body,
                               httplib::Headers headers = {}) {
    last_.emplace(
      cli.Put(path.c_str(), headers, body, "application/octet-stream"));
    return response_of(*last_);
  }

  const httplib::Response& get(const std::string& path,
                               httplib::Headers headers = {}) {
    last_.emplace(cli.Get(path.c_str(), headers));
    return response_of(*last_);
  }

  const httplib::Response& del(const std::string& path,
                               httplib::Headers headers = {}) {
    last_.emplace(cli.Delete(path.c_str(), headers));
    return response_of(*last_);
  }

  std::optional<httplib::Result> last_;
};

httplib::Headers if_match(uint64_t v) {
  return {{"If-Match", etag(v)}};
}

const httplib::Headers create{{"If-None-Match", "*"}};

} // namespace

BOOST_FIXTURE_TEST_SUITE(http_entities, http_server)

BOOST_AUTO_TEST_CASE(healthz_answers_200) {
  auto& res = get("/healthz");
  BOOST_TEST(res.status == 200);
  BOOST_TEST(res.body == R"({"status":"ok"})");
}

BOOST_AUTO_TEST_CASE(create_answers_201_with_the_etag_and_get_the_bytes) {
  auto& made = put("/v1/entities/user/1", "Ada", create);
  BOOST_TEST(made.status == 201);
  BOOST_TEST(made.get_header_value("ETag") == etag(1));
  auto body = nlohmann::json::parse(made.body);
  BOOST_TEST(body["version"] == 1);
  BOOST_TEST(body["id"] == "user/1");
  auto& got = get("/v1/entities/user/1");
  BOOST_TEST(got.status == 200);
  BOOST_TEST(got.body == "Ada");
  BOOST_TEST(got.get_header_value("ETag") == etag(1));
  BOOST_TEST(got.get_header_value("Content-Type")
             == "application/octet-stream");
}

BOOST_AUTO_TEST_CASE(create_of_an_existing_entity_is_412) {
  put("/v1/entities/a", "1", create);
  auto& again = put("/v1/entities/a", "2", create);
  BOOST_TEST(again.status == 412);
  auto p = problem_of(again);
  BOOST_TEST(p["code"] == "conflict");
  BOOST_TEST(p["stored"]["value"] == "1");
  BOOST_TEST(get("/v1/entities/a").body == "1");
}

BOOST_AUTO_TEST_CASE(update_with_if_match_answers_200_and_the_new_etag) {
  put("/v1/entities/a", "1", create);
  auto& upd = put("/v1/entities/a", "2", if_match(1));
  BOOST_TEST(upd.status == 200);
  BOOST_TEST(upd.get_header_value("ETag") == etag(2));
  BOOST_TEST(get("/v1/entities/a").body == "2");
}

BOOST_AUTO_TEST_CASE(stale_if_match_is_412_with_the_conflict_payload) {
  put("/v1/entities/a", "Gadget", create);
  put("/v1/entities/a", "Super Gadget", if_match(1));
  auto& stale = put("/v1/entities/a", "Amazing Gadget", if_match(1));
  BOOST_TEST(stale.status == 412);
  BOOST_TEST(stale.get_header_value("ETag") == etag(2));
  auto p = problem_of(stale);
  BOOST_TEST(p["type"] == "urn:entact:problem:conflict");
  BOOST_TEST(p["status"] == 412);
  BOOST_TEST(p["title"] == "Precondition Failed");
  BOOST_TEST(p["outcome"] == "not_applied");
  BOOST_TEST(p["id"] == "a");
  BOOST_TEST(p["expected_version"] == 1);
  BOOST_TEST(p["stored"]["version"] == 2);
  BOOST_TEST(p["stored"]["value"] == "Super Gadget");
  BOOST_TEST(p["stored"]["deleted"] == false);
  BOOST_TEST(p["attempted_kind"] == "update_if_version");
  BOOST_TEST(p["attempted_value"] == "Amazing Gadget");
  BOOST_TEST(p["detail"] == "conflict on a: expected v1, stored is v2");
  BOOST_TEST(get("/v1/entities/a").body == "Super Gadget");
}

BOOST_AUTO_TEST_CASE(a_put_without_precondition_is_428_and_changes_nothing) {
  put("/v1/entities/a", "1", create);
  auto& res = put("/v1/entities/a", "2");
  BOOST_TEST(res.status == 428);
  BOOST_TEST(problem_of(res)["code"] == "precondition_required");
  BOOST_TEST(res.get_header_value_count("Content-Type") == 1u);
  BOOST_TEST(get("/v1/entities/a").body == "1");
}

BOOST_AUTO_TEST_CASE(overwrite_true_is_the_explicit_last_write_wins) {
  put("/v1/entities/a", "1", create);
  auto& res = put("/v1/entities/a?overwrite=true", "2");
  BOOST_TEST(res.status == 200);
  BOOST_TEST(res.get_header_value("ETag") == etag(2));
  BOOST_TEST(put("/v1/entities/b?overwrite=true", "x").status == 200);
  BOOST_TEST(get("/v1/entities/b").body == "x");
}

BOOST_AUTO_TEST_CASE(conflicting_or_unknown_modes_are_400) {
  put("/v1/entities/a", "1", create);
  auto& both = put("/v1/entities/a?overwrite=true", "2", if_match(1));
  BOOST_TEST(both.status == 400);
  BOOST_TEST(put("/v1/entities/a?overwrite=false", "2").status == 400);
  BOOST_TEST(put("/v1/entities/a?force=1", "2", if_match(1)).status == 400);
  BOOST_TEST(put("/v1/entities/a", "2", {{"If-None-Match", "\"1\""}}).status
             == 400);
  BOOST_TEST(get("/v1/entities/a").body == "1");
  BOOST_TEST(get("/v1/entities/a").get_header_value("ETag") == etag(1));
}

BOOST_AUTO_TEST_CASE(malformed_if_match_is_400_and_changes_nothing) {
  put("/v1/entities/a", "1", create);
  for (auto bad : {"W/\"1\"", "\"1\", \"2\"", "*", "\"x\"", "1", "\"01\"",
                   "\"-1\"", "\"18446744073709551616\"", "\"\""}) {
    BOOST_TEST_INFO("If-Match: " << bad);
    auto& res = put("/v1/entities/a", "2", {{"If-Match", bad}});
    BOOST_TEST(res.status == 400);
    BOOST_TEST(problem_of(res)["code"] == "invalid_argument");
  }
  BOOST_TEST(get("/v1/entities/a").get_header_value("ETag") == etag(1));
}

BOOST_AUTO_TEST_CASE(get_of_an_absent_entity_is_404_without_an_etag) {
  auto& res = get("/v1/entities/nobody");
  BOOST_TEST(res.status == 404);
  BOOST_TEST(!res.has_header("ETag"));
  auto p = problem_of(res);
  BOOST_TEST(p["code"] == "not_found");
  BOOST_TEST(p["stored"]["version"] == 0);
}

BOOST_AUTO_TEST_CASE(delete_answers_200_and_get_404_with_the_tombstone_etag) {
  put("/v1/entities/a", "1", create);
  auto& gone = del("/v1/entities/a", if_match(1));
  BOOST_TEST(gone.status == 200);
  BOOST_TEST(gone.get_header_value("ETag") == etag(2));
  BOOST_TEST(nlohmann::json::parse(gone.body)["deleted"] == true);
  auto& res = get("/v1/entities/a");
  BOOST_TEST(res.status == 404);
  BOOST_TEST(res.get_header_value("ETag") == etag(2));
  BOOST_TEST(problem_of(res)["stored"]["deleted"] == true);
  // A create continues the version sequence after the tombstone.
  BOOST_TEST(put("/v1/entities/a", "again", create).get_header_value("ETag")
             == etag(3));
}

BOOST_AUTO_TEST_CASE(delete_needs_if_match_428_and_a_stale_one_is_412) {
  put("/v1/entities/a", "1", create);
  BOOST_TEST(del("/v1/entities/a").status == 428);
  BOOST_TEST(del("/v1/entities/a", {{"If-None-Match", "*"}}).status == 400);
  BOOST_TEST(del("/v1/entities/a?overwrite=true").status == 400);
  auto& stale = del("/v1/entities/a", if_match(7));
  BOOST_TEST(stale.status == 412);
  BOOST_TEST(problem_of(stale)["attempted_kind"] == "erase_if_version");
  BOOST_TEST(get("/v1/entities/a").status == 200);
}

BOOST_AUTO_TEST_CASE(if_none_match_on_get_answers_304_when_unchanged) {
  put("/v1/entities/a", "1", create);
  auto& same = get("/v1/entities/a", {{"If-None-Match", etag(1)}});
  BOOST_TEST(same.status == 304);
  BOOST_TEST(same.body.empty());
  BOOST_TEST(same.get_header_value("ETag") == etag(1));
  BOOST_TEST(get("/v1/entities/a", {{"If-None-Match", "W/\"1\""}}).status
             == 304);
  BOOST_TEST(get("/v1/entities/a", {{"If-None-Match", "*"}}).status == 304);
  BOOST_TEST(get("/v1/entities/a", {{"If-None-Match", "\"5\", \"1\""}}).status
             == 304);
  put("/v1/entities/a", "2", if_match(1));
  auto& changed = get("/v1/entities/a", {{"If-None-Match", etag(1)}});
  BOOST_TEST(changed.status == 200);
  BOOST_TEST(changed.body == "2");
  BOOST_TEST(get("/v1/entities/a", {{"If-None-Match", "1"}}).status == 400);
}

BOOST_AUTO_TEST_CASE(head_has_the_headers_of_get_and_no_body) {
  put("/v1/entities/a", "hello", create);
  auto got = cli.Get("/v1/entities/a");
  auto head = cli.Head("/v1/entities/a");
  BOOST_TEST(response_of(head).status == 200);
  BOOST_TEST(head->body.empty());
  for (auto name : {"ETag", "Content-Type", "Content-Length"})
    BOOST_TEST(head->get_header_value(name) == got->get_header_value(name));
  BOOST_TEST(head->get_header_value("Content-Length") == "5");
  auto absent = cli.Head("/v1/entities/nobody");
  BOOST_TEST(response_of(absent).status == 404);
  BOOST_TEST(absent->get_header_value("Content-Type")
             == "application/problem+json");
}

BOOST_AUTO_TEST_CASE(ids_are_percent_decoded_and_checked_by_the_engine) {
  BOOST_TEST(put("/v1/entities/tag%23one", "x", create).status == 201);
  BOOST_TEST(get("/v1/entities/tag%23one").body == "x");
  for (auto bad : {"/v1/entities/has%20space", "/v1/entities/",
                   "/v1/entities/caf%C3%A9", "/v1/entities/nul%00"}) {
    BOOST_TEST_INFO(bad);
    auto& res = put(bad, "x", create);
    BOOST_TEST(res.status == 400);
    BOOST_TEST(problem_of(res)["code"] == "invalid_argument");
  }
  auto& long_id = put("/v1/entities/" + std::string(300, 'a'), "x", create);
  BOOST_TEST(long_id.status == 413);
  BOOST_TEST(get("/v1/entities/has%20space").status == 400);
}

BOOST_AUTO_TEST_CASE(a_value_over_the_limit_is_413_and_changes_nothing) {
  put("/v1/entities/a", "1", create);
  auto& res = put("/v1/entities/a", std::string(1001, 'x'), if_match(1));
  BOOST_TEST(res.status == 413);
  BOOST_TEST(problem_of(res)["code"] == "too_large");
  auto& fits = put("/v1/entities/a", std::string(1000, 'x'), if_match(1));
  BOOST_TEST(fits.status == 200);
  BOOST_TEST(get("/v1/entities/a").body.size() == 1000u);
}

BOOST_AUTO_TEST_CASE(binary_values_round_trip_and_show_as_base64) {
  std::string bytes{"\x00\xff\x01", 3};
  BOOST_TEST(put("/v1/entities/bin", bytes, create).status == 201);
  BOOST_TEST(get("/v1/entities/bin").body == bytes);
  auto& stale = put("/v1/entities/bin", std::string{"\xfe", 1}, if_match(9));
  auto p = problem_of(stale);
  BOOST_TEST(p["stored"]["value_base64"] == "AP8B");
  BOOST_TEST(!p["stored"].contains("value"));
  BOOST_TEST(p["attempted_value_base64"] == "/g==");
}

BOOST_AUTO_TEST_CASE(other_methods_are_405_with_allow) {
  auto res = cli.Patch("/v1/entities/a", "x", "text/plain");
  BOOST_TEST(response_of(res).status == 405);
  BOOST_TEST(res->get_header_value("Allow") == "DELETE, GET, HEAD, PUT");
  BOOST_TEST(problem_of(*res)["code"] == "method_not_allowed");
  auto post = cli.Post("/v1/entities/a", "x", "text/plain");
  BOOST_TEST(response_of(post).status == 405);
  auto health = cli.Put("/healthz", "x", "text/plain");
  BOOST_TEST(response_of(health).get_header_value("Allow") == "GET, HEAD");
  auto opts = cli.Options("/v1/batch");
  BOOST_TEST(response_of(opts).status == 405);
  BOOST_TEST(opts->get_header_value("Allow") == "POST");
}

BOOST_AUTO_TEST_CASE(unknown_paths_are_404_problems) {
  auto& res = get("/v2/whatever");
  BOOST_TEST(res.status == 404);
  BOOST_TEST(problem_of(res)["code"] == "no_route");
}

BOOST_AUTO_TEST_CASE(a_get_with_a_body_is_400) {
  httplib::Request req;
  req.method = "GET";
  req.path = "/v1/entities/a";
  req.body = "surprise";
  req.set_header("Content-Type", "text/plain");
  auto res = cli.send(req);
  BOOST_TEST(response_of(res).status == 400);
  BOOST_TEST(problem_of(*res)["code"] == "invalid_argument");
  // The connection closed, and the next request is served as usual.
  BOOST_TEST(get("/healthz").status == 200);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(entactd_http_options)

BOOST_AUTO_TEST_CASE(http_is_off_unless_asked) {
  entact::test::server_process plain{{"--no-sync"}};
  BOOST_TEST(plain.http_port() == 0);
}

BOOST_AUTO_TEST_CASE(an_http_port_out_of_range_is_a_usage_error) {
  entact::test::temp_dir dir;
  entact::test::child_process proc{{ENTACT_ENTACTD_PATH,
                                    "--data-dir=" + dir.sub("data"),
                                    "--port=0", "--http-port=70000"}};
  BOOST_TEST(proc.wait_exit_for(std::chrono::seconds{30}) == 64);
}

BOOST_AUTO_TEST_SUITE_END()
