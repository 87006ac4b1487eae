// GET /v1/entities?prefix=&after=&limit= against a real entactd started
// with --http-port=0: pages and their cursors (next_after, Link), values
// in JSON, tombstones, bad queries as 400 problem+json, and pages under
// concurrent writes.

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/http_client.hpp"
#include "support/raw_conn.hpp"
#include "support/server_process.hpp"
#include "support/wait_until.hpp"

using entact::test::problem_of;
using entact::test::response_of;
using nlohmann::json;

namespace {

struct http_server {
  entact::test::server_process server{
    {"--http-port=0", "--no-sync", "--max-scan-records=50"}};
  httplib::Client cli = entact::test::http_client(server.http_port());

  /// PUT with ?overwrite=true; fails the test unless it is written.
  void put(const std::string& id, const std::string& value) {
    auto res = cli.Put(("/v1/entities/" + id + "?overwrite=true").c_str(),
                       value, "application/octet-stream");
    BOOST_REQUIRE(res);
    BOOST_REQUIRE_EQUAL(res->status, 200);
  }

  httplib::Response get(const std::string& path) {
    return response_of(cli.Get(path.c_str()));
  }

  /// A page, which must be 200 and JSON.
  json page(const std::string& query) {
    auto res = get("/v1/entities" + query);
    BOOST_REQUIRE_EQUAL(res.status, 200);
    BOOST_TEST(res.get_header_value("Content-Type") == "application/json");
    return json::parse(res.body);
  }
};

std::vector<std::string> ids_of(const json& page) {
  std::vector<std::string> ids;
  for (const auto& r : page["records"])
    ids.push_back(r["id"].get<std::string>());
  return ids;
}

/// The raw bytes of the answer to `GET path` (the connection closed after
/// it), empty if it did not close within 10 s.
std::string raw_get(uint16_t port, const std::string& path) {
  entact::test::raw_conn conn{port};
  std::string request = "GET " + path
                        + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          "Connection: close\r\n\r\n";
  conn.send(std::vector<uint8_t>(request.begin(), request.end()));
  std::string answer;
  std::vector<uint8_t> byte;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{10};
  while (std::chrono::steady_clock::now() < deadline) {
    if (!conn.recv_exact(byte, 1)) {
      if (conn.drain_until_closed(std::chrono::milliseconds{1}))
        return answer;
      continue;
    }
    answer += static_cast<char>(byte[0]);
  }
  return {};
}

/// The status and problem code of a GET of `query`.
std::pair<int, std::string> refusal_of(httplib::Client& cli,
                                       const std::string& query) {
  auto res = response_of(cli.Get(("/v1/entities" + query).c_str()));
  if (res.status == 200)
    return {200, ""};
  return {res.status, problem_of(res)["code"].get<std::string>()};
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(http_scan, http_server)

BOOST_AUTO_TEST_CASE(pages_follow_next_after_and_the_link_header) {
  for (int i = 0; i < 7; ++i)
    put("acct/" + std::to_string(i), std::to_string(100 * i));
  put("other", "x");
  auto first = page("?prefix=acct/&limit=3");
  BOOST_TEST(ids_of(first)
             == (std::vector<std::string>{"acct/0", "acct/1", "acct/2"}));
  BOOST_TEST(first["next_after"] == "acct/2");
  BOOST_TEST(first["records"][1]["value"] == "100");
  BOOST_TEST(first["records"][1]["version"] == 1);
  BOOST_TEST(first["records"][1]["deleted"] == false);
  // The Link header names the next page (cpp-httplib's client hands out
  // header values percent-decoded; the raw bytes are checked below).
  auto res = get("/v1/entities?prefix=acct/&limit=3");
  auto link = res.get_header_value("Link");
  BOOST_TEST(link
             == "</v1/entities?after=acct/2&limit=3&prefix=acct/>; "
                "rel=\"next\"");
  auto url = link.substr(1, link.find('>') - 1);
  auto second = json::parse(get(url).body);
  BOOST_TEST(ids_of(second)
             == (std::vector<std::string>{"acct/3", "acct/4", "acct/5"}));
  auto last = page("?prefix=acct/&limit=3&after=acct/5");
  BOOST_TEST(ids_of(last) == std::vector<std::string>{"acct/6"});
  BOOST_TEST(last["next_after"].is_null());
  BOOST_TEST(!get("/v1/entities?prefix=acct/&after=acct/5").has_header(
    "Link"));
  // No parameters: everything, at most 100 or the server's bound (50).
  auto all = page("");
  BOOST_TEST(all["records"].size() == 8u);
  BOOST_TEST(all["records"][7]["id"] == "other");
  BOOST_TEST(all["next_after"].is_null());
  // Ids with characters a query must encode ('+', '#', '='): the Link
  // header on the wire carries them percent-encoded.
  put("q%2Ba%23b%3Dc", "v"); // the id q+a#b=c
  put("q%2Bz", "v");
  auto odd = page("?prefix=q%2B&limit=1");
  BOOST_TEST(ids_of(odd) == std::vector<std::string>{"q+a#b=c"});
  BOOST_TEST(odd["next_after"] == "q+a#b=c");
  auto raw = raw_get(server.http_port(), "/v1/entities?prefix=q%2B&limit=1");
  BOOST_TEST(raw.find("\r\nLink: </v1/entities?after=q%2Ba%23b%3Dc&limit=1"
                      "&prefix=q%2B>; rel=\"next\"\r\n")
               != std::string::npos,
             raw);
  auto rest = page("?prefix=q%2B&after=q%2Ba%23b%3Dc");
  BOOST_TEST(ids_of(rest) == std::vector<std::string>{"q+z"});
}

BOOST_AUTO_TEST_CASE(values_tombstones_and_an_empty_store) {
  auto empty = page("?prefix=v/");
  BOOST_TEST(empty["records"].empty());
  BOOST_TEST(empty["next_after"].is_null());
  put("v/text", "Gadget");
  put("v/bytes", std::string{"\x00\xff", 2});
  put("v/gone", "x");
  auto del = cli.Delete("/v1/entities/v/gone", {{"If-Match", "\"1\""}});
  BOOST_REQUIRE(del);
  BOOST_REQUIRE_EQUAL(del->status, 200);
  auto p = page("?prefix=v/");
  BOOST_TEST(ids_of(p) == (std::vector<std::string>{"v/bytes", "v/text"}));
  BOOST_TEST(p["records"][0]["value_base64"] == "AP8=");
  BOOST_TEST(!p["records"][0].contains("value"));
  BOOST_TEST(p["records"][1]["value"] == "Gadget");
  auto with = page("?prefix=v/&include_deleted=true");
  BOOST_TEST(ids_of(with)
             == (std::vector<std::string>{"v/bytes", "v/gone", "v/text"}));
  BOOST_TEST(with["records"][1]["deleted"] == true);
  BOOST_TEST(with["records"][1]["version"] == 2);
  BOOST_TEST(page("?prefix=v/&include_deleted=false")["records"].size()
             == 2u);
}

BOOST_AUTO_TEST_CASE(bad_queries_are_400_problems) {
  using result = std::pair<int, std::string>;
  result bad{400, "invalid_argument"};
  BOOST_TEST((refusal_of(cli, "?limit=abc") == bad));
  BOOST_TEST((refusal_of(cli, "?limit=-1") == bad));
  BOOST_TEST((refusal_of(cli, "?limit=") == bad));
  BOOST_TEST((refusal_of(cli, "?limit=0") == bad));
  // Over --max-scan-records: a page of at most the bound.
  BOOST_TEST((refusal_of(cli, "?limit=51") == result{200, ""}));
  BOOST_TEST((refusal_of(cli, "?limit=99999999999") == bad));
  BOOST_TEST((refusal_of(cli, "?limit=50") == result{200, ""}));
  BOOST_TEST((refusal_of(cli, "?prefix=a%20b") == bad));
  BOOST_TEST((refusal_of(cli, "?prefix=%FF") == bad));
  BOOST_TEST((refusal_of(cli, "?after=a%00b") == bad));
  BOOST_TEST((refusal_of(cli, "?prefix=a&prefix=b") == bad));
  BOOST_TEST((refusal_of(cli, "?cursor=x") == bad));
  BOOST_TEST((refusal_of(cli, "?include_deleted=yes") == bad));
  BOOST_TEST((refusal_of(cli, "?prefix=" + std::string(300, 'a'))
              == result{413, "too_large"}));
  auto res = response_of(cli.Post("/v1/entities", "", "application/json"));
  BOOST_TEST(res.status == 405);
  BOOST_TEST(res.get_header_value("Allow") == "GET, HEAD");
  auto detail = problem_of(response_of(cli.Get("/v1/entities?limit=abc")));
  BOOST_TEST(detail["detail"].get<std::string>().find("limit") == 0u);
}

BOOST_AUTO_TEST_CASE(pages_under_concurrent_writes_show_each_id_once) {
  // Ids that exist before the scan and are never deleted ("keep/"),
  // updated throughout; ids deleted during it ("drop/"); ids created
  // during it ("new/"). Across the pages every "keep/" id appears exactly
  // once, and no id twice.
  std::set<std::string> keep;
  for (int i = 0; i < 120; ++i) {
    auto id = "c/keep/" + std::to_string(i);
    put(id, "0");
    keep.insert(id);
  }
  for (int i = 0; i < 60; ++i)
    put("c/drop/" + std::to_string(i), "0");
  // Without a limit, a page holds the server's bound (50) when it is
  // below the default (100).
  BOOST_TEST(page("?prefix=c/")["records"].size() == 50u);
  std::atomic<bool> stop{false};
  std::atomic<int> writes{0};
  std::atomic<int> failures{0};
  auto port = server.http_port();
  std::vector<std::thread> writers;
  for (int w = 0; w < 3; ++w)
    writers.emplace_back([&, w] {
      auto wc = entact::test::http_client(port);
      for (int n = 0; !stop; ++n) {
        auto send = [&]() -> std::optional<httplib::Result> {
          if (n % 3 == 0) {
            auto path = "/v1/entities/c/keep/"
                        + std::to_string((n * 7 + w) % 120)
                        + "?overwrite=true";
            return wc.Put(path.c_str(), std::to_string(n),
                          "application/octet-stream");
          }
          if (n % 3 == 1) {
            auto path = "/v1/entities/c/new/" + std::to_string(w) + "-"
                        + std::to_string(n);
            return wc.Put(path.c_str(), {{"If-None-Match", "*"}}, "x",
                          "application/octet-stream");
          }
          auto i = (n / 3) * 3 + w; // each drop/ id deleted by one writer
          if (i >= 60)
            return std::nullopt;
          auto path = "/v1/entities/c/drop/" + std::to_string(i);
          return wc.Delete(path.c_str(), {{"If-Match", "\"1\""}});
        };
        auto res = send();
        if (!res)
          continue;
        if (!*res || ((*res)->status != 200 && (*res)->status != 201))
          ++failures;
        ++writes;
      }
    });
  std::map<std::string, int> seen;
  std::string after;
  int pages = 0;
  for (;;) {
    // Let some writes land between pages (a bounded wait, not a sleep).
    auto target = writes.load() + 3;
    entact::test::wait_until([&] { return writes.load() >= target; },
                             std::chrono::seconds{10});
    auto query = std::string{"?prefix=c/&limit=17"}
                 + (after.empty() ? "" : "&after=" + after);
    auto p = page(query);
    ++pages;
    for (const auto& id : ids_of(p)) {
      BOOST_TEST(bool(id > after), id << " not after the cursor " << after);
      ++seen[id];
    }
    if (p["next_after"].is_null())
      break;
    after = p["next_after"].get<std::string>();
  }
  stop = true;
  for (auto& t : writers)
    t.join();
  BOOST_TEST(failures.load() == 0);
  BOOST_TEST(pages >= 120 / 17);
  for (const auto& id : keep)
    BOOST_TEST(seen[id] == 1, id << " seen " << seen[id] << " times");
  for (const auto& [id, n] : seen)
    BOOST_TEST(n == 1, id << " seen " << n << " times");
}

BOOST_AUTO_TEST_SUITE_END()
