// Interactive transactions: read under the locks, compute, then write.
//
//   POST   /v1/transactions/begin        {"lock": ["acct/1"], "lease_ms": 5000}
//          -> 201 {"transaction": "<id>", "records": [...], "lease_ms": 5000}
//   POST   /v1/transactions/{id}/commit  {"writes": [...]}   (as /v1/batch)
//          -> 200 {"records": [...]}, or 409 with the conflict
//   DELETE /v1/transactions/{id}         -> 204, the locks released
//
// Each write's precondition is checked against the record read under its
// lock, so a client that writes what it read (`if_version` of the begin's
// record) cannot lose an update, and nobody else writes in between.

#include <limits>

#include "body.hpp"
#include "json_codec.hpp"
#include "open_transactions.hpp"
#include "problem.hpp"
#include "routes.hpp"
#include "writes_json.hpp"

namespace entact::http {

namespace {

using nlohmann::json;

constexpr const char* transactions_path = "/v1/transactions/";

/// Longest lease the gateway parses (the engine's `max_lease` bounds it
/// tighter): keeps the milliseconds far from overflowing a timespan.
constexpr uint64_t max_parsed_lease_ms = 24ull * 3600 * 1000;

/// The body's ids and lease, or why it is malformed.
std::string parse_begin(const std::string& body, std::vector<entity_id>& ids,
                        uint64_t& lease_ms) {
  auto doc = json::parse(body, nullptr, false);
  if (doc.is_discarded())
    return "the body is not JSON";
  if (!doc.is_object())
    return R"(the body must be {"lock": [ids...], "lease_ms": N})";
  for (const auto& [key, v] : doc.items())
    if (key != "lock" && key != "lease_ms")
      return "unknown member " + key;
  if (!doc.contains("lock") || !doc["lock"].is_array() || doc["lock"].empty())
    return "lock must be a non-empty array of ids";
  for (const auto& id : doc["lock"]) {
    if (!id.is_string())
      return "lock must be a non-empty array of ids";
    ids.push_back(id.get<std::string>());
  }
  if (doc.contains("lease_ms")) {
    const auto& v = doc["lease_ms"];
    if (!v.is_number_unsigned() || v.get<uint64_t>() == 0
        || v.get<uint64_t>() > max_parsed_lease_ms)
      return "lease_ms must be a positive number of milliseconds";
    lease_ms = v.get<uint64_t>();
  }
  return {};
}

std::string parse_commit(const std::string& body, std::vector<write_op>& ops) {
  auto doc = json::parse(body, nullptr, false);
  if (doc.is_discarded())
    return "the body is not JSON";
  if (!doc.is_object())
    return R"(the body must be {"writes": [...]})";
  for (const auto& [key, v] : doc.items())
    if (key != "writes")
      return "unknown member " + key;
  if (!doc.contains("writes"))
    return {};
  return writes_of(doc["writes"], ops);
}

/// The checks every POST here shares; reads the body into `body`.
bool json_body(exchange& ex, const http_options& opts, std::string& body) {
  if (!ex.req.params.empty()) {
    send_problem(ex.res, 400, "invalid_argument",
                 "a transaction takes no query parameters");
    return false;
  }
  if (!sent_as_json(ex.req)) {
    send_problem(ex.res, 415, "unsupported_media_type",
                 "a transaction is sent as Content-Type: application/json");
    return false;
  }
  return read_body(ex, opts.max_body_bytes, body);
}

void post_begin(exchange& ex, open_transactions& txns,
                const http_options& opts) {
  std::string body;
  if (!json_body(ex, opts, body))
    return;
  std::vector<entity_id> ids;
  uint64_t lease_ms = 5000;
  if (auto why = parse_begin(body, ids, lease_ms); !why.empty())
    return send_problem(ex.res, 400, "invalid_argument", why);
  auto t = txns.begin(std::move(ids), std::chrono::milliseconds{lease_ms});
  if (!t)
    return send_error(ex.res, t.error(), opts, true);
  ex.res.status = 201;
  ex.res.set_content(json{{"transaction", t->id},
                          {"records", records_json(t->records)},
                          {"lease_ms", lease_ms}}
                       .dump(),
                     "application/json");
}

void post_commit(exchange& ex, open_transactions& txns,
                 const http_options& opts) {
  std::string body;
  if (!json_body(ex, opts, body))
    return;
  std::vector<write_op> ops;
  if (auto why = parse_commit(body, ops); !why.empty())
    return send_problem(ex.res, 400, "invalid_argument", why);
  auto recs = txns.commit(ex.tail, std::move(ops));
  if (!recs)
    return send_error(ex.res, recs.error(), opts, true);
  ex.res.status = 200;
  ex.res.set_content(json{{"records", records_json(*recs)}}.dump(),
                     "application/json");
}

void delete_txn(exchange& ex, open_transactions& txns,
                const http_options& opts) {
  if (!ex.req.params.empty())
    return send_problem(ex.res, 400, "invalid_argument",
                        "an abort takes no query parameters");
  if (auto err = txns.abort(ex.tail))
    return send_error(ex.res, err, opts, true);
  ex.res.status = 204;
}

} // namespace

void add_interactive_routes(router& r, open_transactions& txns,
                            const http_options& opts) {
  // The exact path first: the router takes routes in the order added.
  r.add("POST", "/v1/transactions/begin",
        [&txns, opts](exchange& ex) { post_begin(ex, txns, opts); });
  r.add_suffix("POST", transactions_path, "/commit",
               [&txns, opts](exchange& ex) { post_commit(ex, txns, opts); });
  r.add("DELETE", transactions_path,
        [&txns, opts](exchange& ex) { delete_txn(ex, txns, opts); });
}

} // namespace entact::http
