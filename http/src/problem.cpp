#include "problem.hpp"

#include "entact/conflict.hpp"
#include "entact/errc.hpp"
#include "entact/not_found.hpp"
#include "etag.hpp"
#include "json_codec.hpp"

namespace entact {

int http_status_of(errc code, bool in_batch) noexcept {
  switch (code) {
    case errc::none:
      return 200;
    case errc::conflict:
      return in_batch ? 409 : 412;
    case errc::not_found:
    case errc::unknown_transaction:
      return 404;
    case errc::invalid_argument:
      return 400;
    case errc::too_large:
      return 413;
    case errc::timeout:
      return 504;
    case errc::overloaded:
    case errc::closed:
    case errc::unavailable:
    case errc::lock_timeout:
      return 503;
    case errc::version_overflow:
    case errc::wrong_node:
    case errc::cross_shard:
    case errc::aborted:
    case errc::lease_expired:
    case errc::retries_exhausted:
      return 409;
    case errc::unreachable:
      return 502;
    case errc::storage_failure:
    case errc::in_doubt:
    case errc::unassigned:
      return 500;
  }
  return 500;
}

namespace http {

namespace {

/// Codes after which a write may or may not have happened.
bool outcome_unknown(errc code) {
  return code == errc::timeout || code == errc::in_doubt
         || code == errc::unreachable;
}

/// RFC 9110's reason phrases of the statuses the gateway answers with
/// (cpp-httplib keeps its table internal).
const char* reason_of(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 421: return "Misdirected Request";
    case 428: return "Precondition Required";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Error";
  }
}

std::string detail_of(const caf::error& err) {
  if (auto c = conflict_of(err)) {
    // As the CLI says it; the members below carry the rest.
    auto stored = c->stored.version == no_version ? std::string{"absent"}
                  : "v" + std::to_string(c->stored.version)
                      + (c->stored.deleted ? " (deleted)" : "");
    return "conflict on " + c->id + ": expected v"
           + std::to_string(c->expected_version) + ", stored is " + stored;
  }
  if (err.category() == error_category)
    return render_error(err.code(), err.category(), err.context());
  return to_string(err);
}

} // namespace

void send_problem(httplib::Response& res, int status, const std::string& code,
                  const std::string& detail, nlohmann::json extra) {
  nlohmann::json body{{"type", "urn:entact:problem:" + code},
                      {"title", reason_of(status)},
                      {"status", status},
                      {"detail", detail},
                      {"code", code},
                      {"outcome", "not_applied"}};
  body.update(extra);
  res.status = status;
  res.set_content(body.dump(-1, ' ', false,
                            nlohmann::json::error_handler_t::replace),
                  problem_type);
}

void send_error(httplib::Response& res, const caf::error& err,
                const http_options& opts, bool in_batch) {
  auto code = code_of(err);
  auto status = http_status_of(code, in_batch);
  auto extra = nlohmann::json::object();
  if (outcome_unknown(code))
    extra["outcome"] = "unknown";
  if (auto c = conflict_of(err))
    extra.update(conflict_json(*c));
  else if (auto stored = stored_of(err))
    extra["stored"] = record_json(*stored);
  send_problem(res, status, to_string(code), detail_of(err), std::move(extra));
  // A batch names no single entity: its answer carries no ETag.
  auto stored = in_batch ? std::nullopt : stored_of(err);
  if (stored && stored->version != no_version)
    res.set_header("ETag", etag_of(stored->version));
  if (status == 503)
    res.set_header("Retry-After", std::to_string(opts.retry_after.count()));
}

} // namespace http

} // namespace entact
