// GET /metrics against a real entactd started with --http-port=0: the
// Prometheus text format parsed line by line, counters that move by
// exactly the requests, writes and conflicts made, and label cardinality
// that stays bounded whatever paths clients ask for.
#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "support/http_client.hpp"
#include "support/server_process.hpp"
#include "support/wait_until.hpp"

using entact::test::etag;
using entact::test::response_of;

namespace {

/// One scrape: every sample, by its name and its labels sorted by name
/// (`name{a="1",b="2"}`), so that lookups do not depend on the order the
/// server prints labels in.
struct scrape {
  std::map<std::string, double> samples;
  std::set<std::string> names;

  /// The value of `key` (0 if absent: a counter not yet incremented).
  double operator[](const std::string& key) const {
    auto i = samples.find(key);
    return i == samples.end() ? 0 : i->second;
  }

  /// How many samples `name` has (one per label set).
  size_t series_of(const std::string& name) const {
    size_t n = 0;
    for (const auto& [key, value] : samples)
      if (key.compare(0, key.find('{'), name) == 0)
        ++n;
    return n;
  }
};

/// Parses `name{l="v",...} value` into its key (see `scrape`); throws on a
/// line that is not a sample.
std::pair<std::string, double> parse_sample(const std::string& line) {
  auto value_at = line.rfind(' ');
  if (value_at == std::string::npos)
    throw std::runtime_error("not a sample: " + line);
  auto series = line.substr(0, value_at);
  auto value = std::stod(line.substr(value_at + 1));
  auto open = series.find('{');
  if (open == std::string::npos)
    return {series, value};
  if (series.back() != '}')
    throw std::runtime_error("unterminated labels: " + line);
  std::vector<std::string> labels;
  std::string rest = series.substr(open + 1, series.size() - open - 2);
  // Label values here never hold '"' or ',' (routes, codes, methods).
  std::istringstream in{rest};
  for (std::string label; std::getline(in, label, ',');)
    if (!label.empty())
      labels.push_back(label);
  std::sort(labels.begin(), labels.end());
  auto key = series.substr(0, open) + "{";
  for (size_t i = 0; i < labels.size(); ++i)
    key += (i ? "," : "") + labels[i];
  return {key + "}", value};
}

scrape parse(const std::string& text) {
  scrape result;
  std::istringstream in{text};
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#')
      continue;
    auto [key, value] = parse_sample(line);
    result.names.insert(key.substr(0, key.find('{')));
    result.samples[key] = value;
  }
  return result;
}

std::string requests(const std::string& method, const std::string& route,
                     int code) {
  return "entact_http_requests_total{code=\"" + std::to_string(code)
         + "\",method=\"" + method + "\",route=\"" + route + "\"}";
}

const std::string entities = "/v1/entities/*";

struct http_server {
  entact::test::server_process server{
    {"--http-port=0", "--max-value-bytes=1000", "--no-sync"}};
  httplib::Client cli = entact::test::http_client(server.http_port());

  scrape get_metrics() {
    auto res = cli.Get("/metrics");
    const auto& r = response_of(res);
    BOOST_REQUIRE(r.status == 200);
    return parse(r.body);
  }

  /// Scrapes until `done(before, now)` holds: cpp-httplib counts a request
  /// after its answer is written, so a client may get its answer before
  /// the server counted it. Returns the last scrape.
  template <class Predicate>
  scrape scrape_until(const scrape& before, Predicate done) {
    scrape now;
    auto reached = entact::test::wait_until(
      [&] {
        now = get_metrics();
        return done(before, now);
      },
      std::chrono::seconds{10}, std::chrono::milliseconds{10});
    BOOST_TEST(reached);
    return now;
  }

  int put(const std::string& path, const std::string& body,
          httplib::Headers headers) {
    return response_of(cli.Put(path.c_str(), headers, body,
                               "application/octet-stream"))
      .status;
  }

  int get(const std::string& path) {
    return response_of(cli.Get(path.c_str())).status;
  }
};

const httplib::Headers create{{"If-None-Match", "*"}};

} // namespace

BOOST_FIXTURE_TEST_SUITE(http_metrics, http_server)

BOOST_AUTO_TEST_CASE(metrics_is_prometheus_text_with_build_info) {
  auto res = cli.Get("/metrics");
  const auto& r = response_of(res);
  BOOST_TEST(r.status == 200);
  BOOST_TEST(r.get_header_value("Content-Type")
             == "text/plain; version=0.0.4");
  auto s = parse(r.body);
  for (const auto& name : s.names)
    BOOST_TEST(name.rfind("entact_", 0) == 0, name);
  BOOST_TEST(s.series_of("entact_build_info") == 1u);
  auto build = std::find_if(s.samples.begin(), s.samples.end(),
                            [](const auto& kv) {
                              return kv.first.rfind("entact_build_info", 0)
                                     == 0;
                            });
  BOOST_REQUIRE(build != s.samples.end());
  BOOST_TEST(build->first.find("version=\"0.1.0\"") != std::string::npos);
  BOOST_TEST(build->second == 1);
  BOOST_TEST(s["entact_engine_up"] == 1);
  BOOST_TEST(s["entact_uptime_seconds"] >= 0);
  BOOST_TEST(s.names.count("entact_resident_entities") == 1u);
  BOOST_TEST(s.names.count("entact_commit_group_duration_seconds_bucket")
             == 1u);
  // A counter's name ends in _total, its # TYPE says counter.
  BOOST_TEST(
    r.body.find("# TYPE entact_http_requests_refused_total counter")
             != std::string::npos);
  BOOST_TEST(r.body.find("# TYPE entact_writes_committed_total counter")
             != std::string::npos);
}

BOOST_AUTO_TEST_CASE(head_answers_the_headers_without_a_body) {
  auto res = cli.Head("/metrics");
  const auto& r = response_of(res);
  BOOST_TEST(r.status == 200);
  BOOST_TEST(r.get_header_value("Content-Type")
             == "text/plain; version=0.0.4");
  BOOST_TEST(r.body.empty());
}

BOOST_AUTO_TEST_CASE(query_parameters_are_refused) {
  BOOST_TEST(get("/metrics?name=x") == 400);
  BOOST_TEST(response_of(cli.Post("/metrics", "", "text/plain")).status
             == 405);
}

BOOST_AUTO_TEST_CASE(writes_conflicts_and_404s_move_their_counters) {
  auto before = get_metrics();
  for (int i = 0; i < 3; ++i)
    BOOST_TEST(put("/v1/entities/acct/" + std::to_string(i), "v", create)
               == 201);
  // Stale: each is at version 1.
  for (int i = 0; i < 2; ++i)
    BOOST_TEST(put("/v1/entities/acct/" + std::to_string(i), "w",
                   {{"If-Match", etag(7)}})
               == 412);
  for (int i = 0; i < 4; ++i)
    BOOST_TEST(get("/nowhere/" + std::to_string(i)) == 404);
  BOOST_TEST(get("/v1/entities/absent") == 404);
  BOOST_TEST(get("/v1/entities/acct/0") == 200);
  auto delta = [](const scrape& a, const scrape& b, const std::string& k) {
    return b[k] - a[k];
  };
  auto after = scrape_until(before, [&](const scrape& a, const scrape& b) {
    return delta(a, b, requests("GET", entities, 200)) >= 1;
  });
  BOOST_TEST(delta(before, after, requests("PUT", entities, 201)) == 3);
  BOOST_TEST(delta(before, after, requests("PUT", entities, 412)) == 2);
  BOOST_TEST(delta(before, after, requests("GET", "unmatched", 404)) == 4);
  BOOST_TEST(delta(before, after, requests("GET", entities, 404)) == 1);
  BOOST_TEST(delta(before, after, requests("GET", entities, 200)) == 1);
  BOOST_TEST(delta(before, after,
                   "entact_http_request_duration_seconds_count{route=\""
                     + entities + "\"}")
             == 7);
  // The engine: three single-write batches committed, two refused by the
  // version rule.
  BOOST_TEST(delta(before, after, "entact_batches_committed_total") == 3);
  BOOST_TEST(delta(before, after, "entact_writes_committed_total") == 3);
  BOOST_TEST(delta(before, after, "entact_batches_refused_total") == 2);
  BOOST_TEST(delta(before, after, "entact_entity_activations_total") >= 3);
  BOOST_TEST(after["entact_resident_entities"] >= 3);
  // One partition: nothing spans.
  BOOST_TEST(after["entact_store_partitions"] == 1);
  BOOST_TEST(delta(before, after, "entact_spanning_batches_total") == 0);
  auto groups = delta(before, after, "entact_commit_groups_total");
  BOOST_TEST(groups >= 1);
  BOOST_TEST(groups <= 3);
  BOOST_TEST(delta(before, after, "entact_commit_group_size_batches_count")
             == groups);
  BOOST_TEST(delta(before, after, "entact_commit_group_size_batches_sum")
             == 3);
  BOOST_TEST(
    delta(before, after, "entact_commit_group_duration_seconds_count")
    == groups);
  BOOST_TEST(after["entact_commit_group_duration_seconds_bucket{le=\"+Inf\"}"]
             == after["entact_commit_group_duration_seconds_count"]);
}

BOOST_AUTO_TEST_CASE(transactions_are_counted_by_outcome) {
  auto txn = [&](const nlohmann::json& body) {
    return response_of(
             cli.Post("/v1/transactions", body.dump(), "application/json"))
      .status;
  };
  auto before = get_metrics();
  BOOST_TEST(txn({{"writes",
                   {{{"id", "t/a"}, {"if_absent", true}, {"value", "1"}},
                    {{"id", "t/b"}, {"if_absent", true}, {"value", "1"}}}}})
             == 200);
  BOOST_TEST(txn({{"writes",
                   {{{"id", "t/a"}, {"if_version", 1}, {"value", "2"}}}},
                  {"reads", {"t/b"}}})
             == 200);
  // Stale: the body sees the conflict under the locks and the gateway
  // aborts the transaction (its owner), so nothing reaches the store.
  BOOST_TEST(txn({{"writes",
                   {{{"id", "t/b"}, {"if_version", 9}, {"value", "2"}}}}})
             == 409);
  auto aborted = "entact_txn_aborted_total{cause=\"aborted\"}";
  auto after = scrape_until(before, [&](const scrape& a, const scrape& b) {
    return b[requests("POST", "/v1/transactions", 409)]
             - a[requests("POST", "/v1/transactions", 409)]
           >= 1;
  });
  BOOST_TEST(after["entact_txn_begun_total"]
               - before["entact_txn_begun_total"]
             == 3);
  BOOST_TEST(after["entact_txn_committed_total"]
               - before["entact_txn_committed_total"]
             == 2);
  BOOST_TEST(after[aborted] - before[aborted] == 1);
  BOOST_TEST(after["entact_txn_aborted_total{cause=\"lease_expired\"}"]
             == 0);
  BOOST_TEST(after.series_of("entact_txn_aborted_total") > 10u);
  BOOST_TEST(after["entact_writes_committed_total"]
               - before["entact_writes_committed_total"]
             == 3);
  BOOST_TEST(after[requests("POST", "/v1/transactions", 200)]
               - before[requests("POST", "/v1/transactions", 200)]
             == 2);
}

BOOST_AUTO_TEST_CASE(requests_refused_for_their_size_are_counted) {
  auto before = get_metrics();
  BOOST_TEST(put("/v1/entities/big", std::string(1001, 'x'), create) == 413);
  // 17 KB of headers, in lines short enough for cpp-httplib's own limit.
  httplib::Headers huge;
  for (int i = 0; i < 17; ++i)
    huge.emplace("X-Padding-" + std::to_string(i), std::string(1000, 'p'));
  BOOST_TEST(response_of(cli.Get("/healthz", huge)).status == 431);
  auto body = "entact_http_requests_refused_total{reason=\"body_too_large\"}";
  auto headers
    = "entact_http_requests_refused_total{reason=\"headers_too_large\"}";
  auto after = scrape_until(before, [&](const scrape& a, const scrape& b) {
    return b[body] - a[body] >= 1 && b[headers] - a[headers] >= 1;
  });
  BOOST_TEST(after[body] - before[body] == 1);
  BOOST_TEST(after[headers] - before[headers] == 1);
  BOOST_TEST(after[requests("PUT", entities, 413)]
               - before[requests("PUT", entities, 413)]
             == 1);
  // Nothing was written.
  BOOST_TEST(after["entact_writes_committed_total"]
             == before["entact_writes_committed_total"]);
}

BOOST_AUTO_TEST_CASE(label_cardinality_stays_bounded_for_1000_paths) {
  cli.set_keep_alive(true);
  // Once, so that /metrics's own series exist in `before`.
  auto first = get_metrics();
  auto before = scrape_until(first, [](const scrape& a, const scrape& b) {
    return b[requests("GET", "/metrics", 200)]
           > a[requests("GET", "/metrics", 200)];
  });
  for (int i = 0; i < 1000; ++i)
    BOOST_TEST_REQUIRE(get("/v1/entities/many/" + std::to_string(i)) == 404);
  for (int i = 0; i < 100; ++i)
    BOOST_TEST_REQUIRE(get("/junk/" + std::to_string(i)) == 404);
  // Methods no server knows: cpp-httplib refuses them (400) itself, before
  // it parses the path.
  for (int i = 0; i < 20; ++i)
    BOOST_TEST_REQUIRE(response_of(cli.send([&] {
                         httplib::Request req;
                         req.method = "BREW" + std::to_string(i);
                         req.path = "/v1/entities/pot";
                         return req;
                       }()))
                         .status
                       == 400);
  auto after = scrape_until(before, [&](const scrape& a, const scrape& b) {
    return b[requests("GET", entities, 404)] - a[requests("GET", entities, 404)]
             >= 1000
           && b[requests("GET", "unmatched", 404)]
                  - a[requests("GET", "unmatched", 404)]
                >= 100
           && b[requests("other", "unmatched", 400)] >= 20;
  });
  BOOST_TEST(after[requests("other", "unmatched", 400)] == 20);
  BOOST_TEST(after[requests("GET", entities, 404)]
               - before[requests("GET", entities, 404)]
             == 1000);
  BOOST_TEST(after[requests("GET", "unmatched", 404)]
               - before[requests("GET", "unmatched", 404)]
             == 100);
  // New series: one per (method, route, code) seen -- not one per path.
  BOOST_TEST(after.series_of("entact_http_requests_total")
             <= before.series_of("entact_http_requests_total") + 4);
  BOOST_TEST(after.series_of("entact_http_request_duration_seconds_count")
             <= 4u);
  // Two routes' new duration histograms (16 buckets, +Inf, _sum, _count)
  // and their request counters.
  BOOST_TEST(after.samples.size() <= before.samples.size() + 2 * 19 + 4);
  for (const auto& [key, value] : after.samples)
    if (!before.samples.count(key))
      BOOST_TEST_MESSAGE("new series: " << key);
  for (const auto& [key, value] : after.samples) {
    BOOST_TEST(key.find("many/") == std::string::npos, key);
    BOOST_TEST(key.find("junk") == std::string::npos, key);
    BOOST_TEST(key.find("BREW") == std::string::npos, key);
  }
}

BOOST_AUTO_TEST_SUITE_END()
