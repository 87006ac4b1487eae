// POST /v1/entities/{id}/modify: the engine's server-side read-modify-write
// (`database::modify`). The operation runs inside the entity's actor on the
// committed record, so concurrent modifications never conflict and none is
// lost -- the read-then-write case without a round trip under a lock.
//
//   {"op": "add", "arg": "5"}  ->  200 {"id", "version", "deleted", "value"}

#include "body.hpp"
#include "etag.hpp"
#include "json_codec.hpp"
#include "problem.hpp"
#include "routes.hpp"
#include "writes_json.hpp"

namespace entact::http {

namespace {

using nlohmann::json;

/// The body's operation, or why it is malformed.
std::string parse(const std::string& body, modify_op& op) {
  auto doc = json::parse(body, nullptr, false);
  if (doc.is_discarded())
    return "the body is not JSON";
  if (!doc.is_object())
    return R"(the body must be {"op": "<name>", "arg": "<argument>"})";
  for (const auto& [key, v] : doc.items())
    if (key != "op" && key != "arg")
      return "unknown member " + key;
  if (!doc.contains("op") || !doc["op"].is_string())
    return "op must be the name of a registered operation, e.g. \"add\"";
  op.name = doc["op"].get<std::string>();
  if (doc.contains("arg")) {
    if (!doc["arg"].is_string())
      return "arg must be a string, e.g. \"5\"";
    op.arg = doc["arg"].get<std::string>();
  }
  return {};
}

void post_modify(exchange& ex, database& db, const http_options& opts) {
  if (!ex.req.params.empty())
    return send_problem(ex.res, 400, "invalid_argument",
                        "a modify takes no query parameters");
  if (auto err = validate_id(ex.tail, opts.limits))
    return send_error(ex.res, err, opts);
  if (!sent_as_json(ex.req))
    return send_problem(ex.res, 415, "unsupported_media_type",
                        "a modify is sent as Content-Type: application/json");
  std::string body;
  if (!read_body(ex, opts.max_body_bytes, body))
    return;
  modify_op op;
  op.id = ex.tail;
  if (auto why = parse(body, op); !why.empty())
    return send_problem(ex.res, 400, "invalid_argument", why);
  auto rec = db.modify(std::move(op));
  if (!rec)
    return send_error(ex.res, rec.error(), opts);
  ex.res.status = 200;
  ex.res.set_header("ETag", etag_of(rec->version));
  ex.res.set_content(record_json(*rec).dump(), "application/json");
}

} // namespace

void add_modify_route(router& r, database& db, const http_options& opts) {
  r.add_suffix("POST", "/v1/entities/", "/modify",
               [&db, opts](exchange& ex) { post_modify(ex, db, opts); });
}

} // namespace entact::http
