// Read under the locks over HTTP: POST /v1/entities/{id}/modify (the
// server-side read-modify-write) and interactive transactions (begin with
// the records read under the locks, commit, abort, lease), against a real
// entactd; the table bound against an embedded gateway with a small one.
#include <thread>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "entact/serve_http.hpp"
#include "support/engine_fixture.hpp"
#include "support/http_client.hpp"
#include "support/server_process.hpp"
#include "support/wait_until.hpp"

using entact::test::etag;
using entact::test::problem_of;
using entact::test::response_of;
using entact::test::wait_until;
using nlohmann::json;

namespace {

httplib::Result post(httplib::Client& cli, const std::string& path,
                     const std::string& body) {
  return cli.Post(path.c_str(), body, "application/json");
}

/// POST /v1/transactions/begin; the response.
httplib::Result begin(httplib::Client& cli, const json& lock,
                      uint64_t lease_ms = 10000) {
  return post(cli, "/v1/transactions/begin",
              json{{"lock", lock}, {"lease_ms", lease_ms}}.dump());
}

std::string txn_of(const httplib::Result& res) {
  return json::parse(response_of(res).body)["transaction"];
}

httplib::Result commit(httplib::Client& cli, const std::string& txn,
                       const json& writes) {
  return post(cli, "/v1/transactions/" + txn + "/commit",
              json{{"writes", writes}}.dump());
}

int abort_txn(httplib::Client& cli, const std::string& txn) {
  return response_of(cli.Delete(("/v1/transactions/" + txn).c_str())).status;
}

struct http_server {
  entact::test::server_process server{{"--http-port=0", "--no-sync"}};
  httplib::Client cli = entact::test::http_client(server.http_port());

  /// The entity's value, or "404".
  std::string value_of(const std::string& id) {
    auto res = cli.Get(("/v1/entities/" + id).c_str());
    return response_of(res).status == 404 ? "404" : res->body;
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(http_interactive, http_server)

BOOST_AUTO_TEST_CASE(concurrent_modify_adds_sum_exactly) {
  constexpr int threads = 4;
  constexpr int adds = 25;
  std::vector<std::thread> workers;
  std::vector<int> failures(threads, 0);
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&, t] {
      auto c = entact::test::http_client(server.http_port());
      for (int i = 0; i < adds; ++i) {
        auto res = post(c, "/v1/entities/counter/1/modify",
                        R"({"op": "add", "arg": "2"})");
        if (!res || res->status != 200)
          ++failures[t];
      }
    });
  for (auto& w : workers)
    w.join();
  for (auto f : failures)
    BOOST_TEST(f == 0);
  BOOST_TEST(value_of("counter/1") == std::to_string(2 * threads * adds));
  auto last = post(cli, "/v1/entities/counter/1/modify",
                   R"({"op": "add", "arg": "-1"})");
  BOOST_TEST(response_of(last).status == 200);
  auto rec = json::parse(last->body);
  BOOST_TEST(rec["value"] == std::to_string(2 * threads * adds - 1));
  BOOST_TEST(rec["version"] == threads * adds + 1);
  BOOST_TEST(last->get_header_value("ETag") == etag(threads * adds + 1));
}

BOOST_AUTO_TEST_CASE(bad_modify_bodies_are_400_and_change_nothing) {
  for (const auto* body :
       {R"({"op": "no_such_op", "arg": "1"})", R"({"op": "add", "arg": "x"})",
        "not json", R"({"arg": "1"})", R"({"op": "add", "arg": 5})",
        R"({"op": "add", "arg": "1", "extra": 1})", "[]"}) {
    auto res = post(cli, "/v1/entities/c/2/modify", body);
    BOOST_TEST(response_of(res).status == 400, body);
    BOOST_TEST(problem_of(*res)["code"] == "invalid_argument");
  }
  BOOST_TEST(value_of("c/2") == "404");
}

BOOST_AUTO_TEST_CASE(begin_reads_under_the_locks_and_commit_writes) {
  auto made = cli.Put("/v1/entities/acct/1", {{"If-None-Match", "*"}}, "100",
                      "text/plain");
  BOOST_REQUIRE(response_of(made).status == 201);
  auto b = begin(cli, {"acct/1", "acct/2"});
  BOOST_REQUIRE(response_of(b).status == 201);
  auto body = json::parse(b->body);
  BOOST_TEST(body["lease_ms"] == 10000);
  BOOST_TEST(body["transaction"].get<std::string>().size() == 32);
  BOOST_TEST(body["records"][0]["value"] == "100");
  BOOST_TEST(body["records"][0]["version"] == 1);
  BOOST_TEST(body["records"][1]["version"] == 0);
  auto c = commit(cli, body["transaction"],
                  {{{"id", "acct/1"}, {"if_version", 1}, {"value", "70"}},
                   {{"id", "acct/2"}, {"if_absent", true}, {"value", "30"}}});
  BOOST_REQUIRE(response_of(c).status == 200);
  auto recs = json::parse(c->body)["records"];
  BOOST_TEST(recs[0]["version"] == 2);
  BOOST_TEST(recs[1]["value"] == "30");
  BOOST_TEST(value_of("acct/1") == "70");
  BOOST_TEST(value_of("acct/2") == "30");
  // It ended: a second commit finds nothing.
  auto again = commit(cli, body["transaction"], json::array());
  BOOST_TEST(response_of(again).status == 404);
  BOOST_TEST(problem_of(*again)["code"] == "unknown_transaction");
}

BOOST_AUTO_TEST_CASE(a_stale_write_in_a_commit_is_409_and_writes_nothing) {
  auto b = begin(cli, {"s/1", "s/2"});
  BOOST_REQUIRE(response_of(b).status == 201);
  auto c = commit(cli, txn_of(b),
                  {{{"id", "s/1"}, {"if_absent", true}, {"value", "a"}},
                   {{"id", "s/2"}, {"if_version", 7}, {"value", "b"}}});
  BOOST_TEST(response_of(c).status == 409);
  BOOST_TEST(problem_of(*c)["id"] == "s/2");
  BOOST_TEST(value_of("s/1") == "404");
  BOOST_TEST(value_of("s/2") == "404");
}

BOOST_AUTO_TEST_CASE(a_second_begin_on_a_held_id_is_refused_not_hung) {
  auto first = begin(cli, {"held/1"});
  BOOST_REQUIRE(response_of(first).status == 201);
  // Younger than the holder: wait-die aborts it (or its lock wait ends).
  auto second = begin(cli, {"held/1"});
  auto status = response_of(second).status;
  BOOST_TEST((status == 409 || status == 503), "status " << status);
  BOOST_TEST(abort_txn(cli, txn_of(first)) == 204);
  auto third = begin(cli, {"held/1"});
  BOOST_TEST(response_of(third).status == 201);
  BOOST_TEST(abort_txn(cli, txn_of(third)) == 204);
}

BOOST_AUTO_TEST_CASE(abort_releases_the_lock_and_writes_nothing) {
  auto b = begin(cli, {"ab/1"});
  BOOST_REQUIRE(response_of(b).status == 201);
  BOOST_TEST(abort_txn(cli, txn_of(b)) == 204);
  BOOST_TEST(abort_txn(cli, txn_of(b)) == 404);
  auto after = commit(cli, txn_of(b),
                      {{{"id", "ab/1"}, {"if_absent", true}, {"value", "x"}}});
  BOOST_TEST(response_of(after).status == 404);
  auto next = begin(cli, {"ab/1"});
  BOOST_TEST(response_of(next).status == 201);
  BOOST_TEST(abort_txn(cli, txn_of(next)) == 204);
  BOOST_TEST(value_of("ab/1") == "404");
  BOOST_TEST(abort_txn(cli, "00000000000000000000000000000000") == 404);
}

BOOST_AUTO_TEST_CASE(a_commit_after_the_lease_is_404_and_writes_nothing) {
  auto b = begin(cli, {"lease/1"}, 200);
  BOOST_REQUIRE(response_of(b).status == 201);
  // The lease ends the lock: a later begin on the id gets it.
  std::string later;
  BOOST_TEST(wait_until(
    [&] {
      auto res = begin(cli, {"lease/1"});
      if (!res || res->status != 201)
        return false;
      later = txn_of(res);
      return true;
    },
    std::chrono::seconds{20}, std::chrono::milliseconds{20}));
  BOOST_TEST(abort_txn(cli, later) == 204);
  auto c = commit(cli, txn_of(b),
                  {{{"id", "lease/1"}, {"if_absent", true}, {"value", "x"}}});
  BOOST_TEST(response_of(c).status == 404);
  BOOST_TEST(problem_of(*c)["code"] == "unknown_transaction");
  BOOST_TEST(value_of("lease/1") == "404");
}

BOOST_AUTO_TEST_CASE(bad_transaction_bodies_are_400_and_change_nothing) {
  for (const auto* body :
       {"not json", R"({"lock": "b/1"})", R"({"lock": []})",
        R"({"lock": ["b/1"], "lease_ms": 0})",
        R"({"lock": ["b/1"], "lease_ms": -5})",
        R"({"lock": ["b/1"], "lease_ms": 3600001000})",
        R"({"lock": ["b/1"], "other": 1})", R"({"lock": [1]})",
        R"({"lock": ["b/1", "b/1"]})", R"({"lock": ["bad id!"]})"}) {
    auto res = post(cli, "/v1/transactions/begin", body);
    BOOST_TEST(response_of(res).status == 400, body);
  }
  // A lease past the engine's max_lease (60 s) is refused by the engine.
  BOOST_TEST(response_of(begin(cli, {"b/1"}, 600000)).status == 400);
  auto b = begin(cli, {"b/1"});
  BOOST_REQUIRE(response_of(b).status == 201);
  // A malformed commit leaves the transaction open...
  auto bad = post(cli, "/v1/transactions/" + txn_of(b) + "/commit",
                  R"({"writes": [{"id": "b/1"}]})");
  BOOST_TEST(response_of(bad).status == 400);
  // ...a write outside its locks ends it, writing nothing...
  auto outside = commit(cli, txn_of(b),
                        {{{"id", "b/2"}, {"if_absent", true}, {"value", "x"}}});
  BOOST_TEST(response_of(outside).status == 400);
  BOOST_TEST(value_of("b/2") == "404");
  BOOST_TEST(abort_txn(cli, txn_of(b)) == 404);
  BOOST_TEST(value_of("b/1") == "404");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(http_interactive_table, entact::test::engine_fixture)

BOOST_AUTO_TEST_CASE(a_full_table_is_503_until_one_ends) {
  auto hopts = entact::http_options_for(opts);
  hopts.max_open_transactions = 2;
  auto http = entact::serve_http(db(), hopts);
  BOOST_REQUIRE(http);
  auto cli = entact::test::http_client((*http)->port());
  // Leases past the waits below: only the gateway's stop can free them.
  auto a = begin(cli, {"t/1"}, 60000);
  auto b = begin(cli, {"t/2"}, 60000);
  BOOST_REQUIRE(response_of(a).status == 201);
  BOOST_REQUIRE(response_of(b).status == 201);
  auto full = begin(cli, {"t/3"});
  BOOST_TEST(response_of(full).status == 503);
  BOOST_TEST(problem_of(*full)["code"] == "overloaded");
  BOOST_TEST(full->has_header("Retry-After"));
  BOOST_TEST(abort_txn(cli, txn_of(a)) == 204);
  auto c = begin(cli, {"t/3"}, 60000);
  BOOST_TEST(response_of(c).status == 201);
  // Stopping the gateway ends what it held: the locks come free.
  (*http)->stop();
  BOOST_TEST(wait_until(
    [&] {
      auto rec = db().transact({"t/2", "t/3"}, [](entact::transaction& t) {
        return t.put("t/2", "free");
      });
      return static_cast<bool>(rec);
    },
    std::chrono::seconds{20}, std::chrono::milliseconds{20}));
  BOOST_TEST(db().get("t/2")->value == "free");
}

BOOST_AUTO_TEST_SUITE_END()
