// The entity resource: its ETag is its version ("3", strong), and every
// write must say which version it was based on -- the lost update is
// impossible over HTTP too.

#include <optional>

#include "body.hpp"
#include "entact/errc.hpp"
#include "etag.hpp"
#include "json_codec.hpp"
#include "problem.hpp"
#include "routes.hpp"

namespace entact::http {

namespace {

constexpr const char* entities_path = "/v1/entities/";

void bad_request(exchange& ex, const std::string& detail) {
  send_problem(ex.res, 400, "invalid_argument", detail);
}

/// Refuses query parameters other than `allowed` (`overwrite=true` only).
bool check_params(exchange& ex, bool overwrite_allowed) {
  for (const auto& [key, value] : ex.req.params) {
    if (overwrite_allowed && key == "overwrite" && value == "true")
      continue;
    bad_request(ex, "unknown query parameter " + key + "=" + value
                      + (overwrite_allowed ? " (only overwrite=true is known)"
                                           : ""));
    return false;
  }
  return true;
}

/// The id in the path (cpp-httplib has percent-decoded it), validated by
/// the engine's own rules.
bool check_id(exchange& ex, const http_options& opts) {
  if (auto err = validate_id(ex.tail, opts.limits)) {
    send_error(ex.res, err, opts);
    return false;
  }
  return true;
}

/// The one `If-Match` a write may carry; answers 400 if malformed.
std::optional<std::optional<version_t>> if_match_of(exchange& ex) {
  auto n = ex.req.get_header_value_count("If-Match");
  if (n == 0)
    return std::optional<version_t>{};
  auto v = n == 1 ? parse_if_match(ex.req.get_header_value("If-Match"))
                  : std::nullopt;
  if (!v) {
    bad_request(ex, "If-Match must be one strong ETag of a version, e.g. "
                    "If-Match: \"3\" (no W/, no list, no *)");
    return std::nullopt;
  }
  return v;
}

void answer_written(exchange& ex, const record& rec, int status) {
  ex.res.status = status;
  ex.res.set_header("ETag", etag_of(rec.version));
  ex.res.set_content(written_json(rec).dump(), "application/json");
}

void get_entity(exchange& ex, database& db, const http_options& opts) {
  if (!check_params(ex, false) || !check_id(ex, opts))
    return;
  std::optional<none_match> inm;
  if (ex.req.has_header("If-None-Match")) {
    inm = parse_if_none_match(ex.req.get_header_value("If-None-Match"));
    if (!inm || ex.req.get_header_value_count("If-None-Match") > 1)
      return bad_request(ex, "If-None-Match must be * or a list of ETags");
  }
  auto rec = db.get(ex.tail);
  if (!rec)
    return send_error(ex.res, rec.error(), opts);
  ex.res.set_header("ETag", etag_of(rec->version));
  if (inm && inm->matches(*rec)) {
    ex.res.status = 304;
    return;
  }
  ex.res.status = 200;
  ex.res.set_content(rec->value, "application/octet-stream");
}

/// Which write a PUT asks for: exactly one of `If-Match: "v"` (update at
/// v), `If-None-Match: *` (create) or `?overwrite=true` (last write wins).
std::optional<write_op> put_op_of(exchange& ex) {
  auto if_match = if_match_of(ex);
  if (!if_match)
    return std::nullopt;
  auto create = ex.req.has_header("If-None-Match");
  if (create && (ex.req.get_header_value_count("If-None-Match") != 1
                 || ex.req.get_header_value("If-None-Match") != "*")) {
    bad_request(ex, "a PUT takes If-None-Match: * (create) only");
    return std::nullopt;
  }
  auto overwrite = ex.req.has_param("overwrite");
  auto modes = int{if_match->has_value()} + int{create} + int{overwrite};
  if (modes == 0) {
    send_problem(ex.res, 428, "precondition_required",
                 "a PUT must say how it treats concurrent writers: "
                 "If-Match: \"<version>\" (update), If-None-Match: * "
                 "(create) or ?overwrite=true (last write wins)");
    return std::nullopt;
  }
  if (modes > 1) {
    bad_request(ex, "a PUT takes one of If-Match, If-None-Match: * and "
                    "?overwrite=true, not several");
    return std::nullopt;
  }
  if (create)
    return write_op::create(ex.tail, {});
  if (overwrite)
    return write_op::unconditional(ex.tail, {});
  return write_op::update(ex.tail, **if_match, {});
}

void put_entity(exchange& ex, database& db, const http_options& opts) {
  if (!check_params(ex, true) || !check_id(ex, opts))
    return;
  auto op = put_op_of(ex);
  if (!op || !read_body(ex, opts.limits.max_value_bytes, op->value))
    return;
  auto created = op->kind == op_kind::create_if_absent;
  auto rec = db.apply(std::move(*op));
  if (!rec)
    return send_error(ex.res, rec.error(), opts);
  answer_written(ex, *rec, created ? 201 : 200);
}

void delete_entity(exchange& ex, database& db, const http_options& opts) {
  if (!check_params(ex, false) || !check_id(ex, opts))
    return;
  if (ex.req.has_header("If-None-Match"))
    return bad_request(ex, "a DELETE takes If-Match: \"<version>\" only");
  auto if_match = if_match_of(ex);
  if (!if_match)
    return;
  if (!*if_match)
    return send_problem(ex.res, 428, "precondition_required",
                        "a DELETE must name the version it deletes: "
                        "If-Match: \"<version>\"");
  auto rec = db.apply(write_op::erase(ex.tail, **if_match));
  if (!rec)
    return send_error(ex.res, rec.error(), opts);
  answer_written(ex, *rec, 200);
}

} // namespace

void add_entity_routes(router& r, database& db, const http_options& opts) {
  r.add("GET", entities_path,
        [&db, opts](exchange& ex) { get_entity(ex, db, opts); });
  r.add("PUT", entities_path,
        [&db, opts](exchange& ex) { put_entity(ex, db, opts); });
  r.add("DELETE", entities_path,
        [&db, opts](exchange& ex) { delete_entity(ex, db, opts); });
}

void add_health_route(router& r, database& db, const http_options& opts) {
  r.add("GET", "/healthz", [&db, opts](exchange& ex) {
    if (auto ok = db.read_many({}); !ok)
      return send_error(ex.res, ok.error(), opts);
    ex.res.status = 200;
    ex.res.set_content(R"({"status":"ok"})", "application/json");
  });
}

} // namespace entact::http
