// POST /v1/batch: several versioned writes applied atomically by
// `database::apply_batch` -- all commit in one RocksDB commit, or none.
//
//   {"writes": [{"id": "a", "if_version": 3, "value": "x"},
//               {"id": "b", "if_absent": true, "value_base64": "AAE="},
//               {"id": "c", "if_version": 2, "delete": true},
//               {"id": "d", "overwrite": true, "value": "z"}]}

#include "body.hpp"
#include "json_codec.hpp"
#include "problem.hpp"
#include "routes.hpp"
#include "writes_json.hpp"

namespace entact::http {

namespace {

using nlohmann::json;

/// The body's writes, or why it is malformed.
std::string ops_of(const std::string& body, std::vector<write_op>& ops) {
  auto doc = json::parse(body, nullptr, false);
  if (doc.is_discarded())
    return "the body is not JSON";
  if (!doc.is_object() || doc.size() != 1 || !doc.contains("writes")
      || !doc["writes"].is_array())
    return R"(the body must be {"writes": [...]})";
  return writes_of(doc["writes"], ops);
}

void post_batch(exchange& ex, database& db, const http_options& opts) {
  if (!ex.req.params.empty())
    return send_problem(ex.res, 400, "invalid_argument",
                        "a batch takes no query parameters");
  if (!sent_as_json(ex.req))
    return send_problem(ex.res, 415, "unsupported_media_type",
                        "a batch is sent as Content-Type: application/json");
  std::string body;
  if (!read_body(ex, opts.max_body_bytes, body))
    return;
  std::vector<write_op> ops;
  if (auto why = ops_of(body, ops); !why.empty())
    return send_problem(ex.res, 400, "invalid_argument", why);
  auto recs = db.apply_batch(std::move(ops));
  if (!recs)
    return send_error(ex.res, recs.error(), opts, true);
  auto records = json::array();
  for (const auto& rec : *recs)
    records.push_back(written_json(rec));
  ex.res.status = 200;
  ex.res.set_content(json{{"records", records}}.dump(), "application/json");
}

} // namespace

void add_batch_route(router& r, database& db, const http_options& opts) {
  r.add("POST", "/v1/batch",
        [&db, opts](exchange& ex) { post_batch(ex, db, opts); });
}

} // namespace entact::http
