// GET /v1/entities?prefix=acct/&after=acct/17&limit=100: one page of
// `database::scan`, read from one snapshot, with the cursor of the next.
//
//   {"records": [{"id": "acct/18", "version": 3, "deleted": false,
//                 "value": "70"}, ...],
//    "next_after": "acct/42"}            (null on the last page)
//
// Ids are id characters only (ASCII), so `next_after` is always a JSON
// string; values follow record_json's UTF-8-or-base64 rule.

#include <algorithm>
#include <charconv>
#include <optional>

#include "json_codec.hpp"
#include "problem.hpp"
#include "routes.hpp"

namespace entact::http {

namespace {

using nlohmann::json;

constexpr const char* scan_path = "/v1/entities";

/// The value of query parameter `key` if given once; `why` says what is
/// wrong if it is given more than once.
std::optional<std::string> param_of(const httplib::Request& req,
                                    const std::string& key, std::string& why) {
  auto n = req.get_param_value_count(key.c_str());
  if (n > 1)
    why = key + " is given " + std::to_string(n) + " times";
  if (n != 1)
    return std::nullopt;
  return req.get_param_value(key.c_str());
}

/// A decimal count without sign or spaces, or nothing.
std::optional<uint32_t> count_of(const std::string& text) {
  uint32_t n = 0;
  auto last = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), last, n);
  if (text.empty() || ec != std::errc{} || ptr != last)
    return std::nullopt;
  return n;
}

/// The scan the query asks for, or why it is malformed. The engine checks
/// the rest (prefix and cursor characters, the limit's bound).
std::string request_of(const httplib::Request& req, const limits& lim,
                       scan_request& out) {
  for (const auto& [key, value] : req.params)
    if (key != "prefix" && key != "after" && key != "limit"
        && key != "include_deleted")
      return "unknown query parameter " + key
             + " (known: prefix, after, limit, include_deleted)";
  std::string why;
  // Without a limit: the default, or the server's bound if lower.
  out.limit = static_cast<uint32_t>(
    std::min<size_t>(default_scan_limit, lim.max_scan_records));
  if (auto prefix = param_of(req, "prefix", why))
    out.prefix = *prefix;
  if (auto after = param_of(req, "after", why))
    out.after = *after;
  if (auto limit = param_of(req, "limit", why)) {
    auto n = count_of(*limit);
    if (!n)
      return "limit must be a number of records, not '" + limit->substr(0, 32)
             + "'";
    out.limit = *n;
  }
  if (auto deleted = param_of(req, "include_deleted", why)) {
    if (*deleted != "true" && *deleted != "false")
      return "include_deleted must be true or false";
    out.include_deleted = *deleted == "true";
  }
  return why;
}

/// The URL of the page after the one `req` asked for, whose cursor is
/// `after`, for its `Link` header. Every value percent-encoded by
/// cpp-httplib (ids may hold '+', '#', '=' and '/').
std::string next_url(const scan_request& req, const entity_id& after) {
  using httplib::detail::encode_query_param;
  auto url = std::string{scan_path} + "?after=" + encode_query_param(after)
             + "&limit=" + std::to_string(req.limit);
  if (!req.prefix.empty())
    url += "&prefix=" + encode_query_param(req.prefix);
  if (req.include_deleted)
    url += "&include_deleted=true";
  return url;
}

void get_scan(exchange& ex, database& db, const http_options& opts) {
  scan_request req;
  if (auto why = request_of(ex.req, opts.limits, req); !why.empty())
    return send_problem(ex.res, 400, "invalid_argument", why);
  auto page = db.scan(req);
  if (!page)
    return send_error(ex.res, page.error(), opts);
  json body{{"records", records_json(page->records)}, {"next_after", nullptr}};
  if (page->next_after) {
    body["next_after"] = *page->next_after;
    auto next = next_url(req, *page->next_after);
    ex.res.set_header("Link", "<" + next + ">; rel=\"next\"");
  }
  ex.res.status = 200;
  ex.res.set_content(body.dump(), "application/json");
}

} // namespace

void add_scan_route(router& r, database& db, const http_options& opts) {
  r.add("GET", scan_path,
        [&db, opts](exchange& ex) { get_scan(ex, db, opts); });
}

} // namespace entact::http
