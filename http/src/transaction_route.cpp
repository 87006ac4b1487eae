// POST /v1/transactions: the writes of a batch run pessimistically by
// `database::transact` -- every entity named is locked (wait-die, bounded
// waits, a lease), each write's precondition is checked against the record
// read under the lock, and all commit in one RocksDB commit or none.
// `reads` names entities to lock and return without writing them, so the
// answer is one consistent picture of everything the transaction touched.
//
//   {"writes": [{"id": "acct/1", "if_version": 3, "value": "70"}],
//    "reads": ["acct/2"]}

#include "body.hpp"
#include "entact/decide.hpp"
#include "json_codec.hpp"
#include "problem.hpp"
#include "routes.hpp"
#include "writes_json.hpp"

namespace entact::http {

namespace {

using nlohmann::json;

/// The body's writes and reads, or why it is malformed.
std::string parse(const std::string& body, std::vector<write_op>& ops,
                  std::vector<entity_id>& reads) {
  auto doc = json::parse(body, nullptr, false);
  if (doc.is_discarded())
    return "the body is not JSON";
  if (!doc.is_object())
    return R"(the body must be {"writes": [...], "reads": [...]})";
  for (const auto& [key, v] : doc.items())
    if (key != "writes" && key != "reads")
      return "unknown member " + key;
  if (doc.contains("writes"))
    if (auto why = writes_of(doc["writes"], ops); !why.empty())
      return why;
  if (doc.contains("reads")) {
    if (!doc["reads"].is_array())
      return "reads must be an array of ids";
    for (const auto& id : doc["reads"]) {
      if (!id.is_string())
        return "reads must be an array of ids";
      reads.push_back(id.get<std::string>());
    }
  }
  return {};
}

/// Applies the version rule to each write against what the lock read.
txn_body body_of(const std::vector<write_op>& ops) {
  return [&ops](transaction& t) -> caf::error {
    for (const auto& op : ops) {
      auto stored = t.get(op.id);
      if (!stored)
        return stored.error();
      auto next = decide(*stored, op);
      if (!next)
        return next.error();
      auto err = next->deleted ? t.erase(op.id) : t.put(op.id, next->value);
      if (err)
        return err;
    }
    return {};
  };
}

void post_transaction(exchange& ex, database& db, const http_options& opts) {
  if (!ex.req.params.empty())
    return send_problem(ex.res, 400, "invalid_argument",
                        "a transaction takes no query parameters");
  if (!sent_as_json(ex.req))
    return send_problem(ex.res, 415, "unsupported_media_type",
                        "a transaction is sent as Content-Type: "
                        "application/json");
  std::string body;
  if (!read_body(ex, opts.max_body_bytes, body))
    return;
  std::vector<write_op> ops;
  std::vector<entity_id> reads;
  if (auto why = parse(body, ops, reads); !why.empty())
    return send_problem(ex.res, 400, "invalid_argument", why);
  std::vector<entity_id> ids; // the writes' ids, then the reads
  for (const auto& op : ops)
    ids.push_back(op.id);
  ids.insert(ids.end(), reads.begin(), reads.end());
  auto recs = db.transact(ids, body_of(ops));
  if (!recs)
    return send_error(ex.res, recs.error(), opts, true);
  ex.res.status = 200;
  ex.res.set_content(json{{"records", records_json(*recs)}}.dump(),
                     "application/json");
}

} // namespace

void add_transaction_route(router& r, database& db,
                           const http_options& opts) {
  r.add("POST", "/v1/transactions",
        [&db, opts](exchange& ex) { post_transaction(ex, db, opts); });
}

} // namespace entact::http
