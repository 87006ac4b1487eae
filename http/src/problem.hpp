#pragma once

#include <string>

#include <caf/error.hpp>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "entact/serve_http.hpp"

namespace entact::http {

/// The media type of every error body (RFC 9457).
constexpr const char* problem_type = "application/problem+json";

/// Answers `status` with a problem body: `type` (`urn:entact:problem:`
/// and `code`), `title` (the status's reason phrase), `status`, `detail`,
/// `code` (an `errc` name, or the gateway's own such as
/// `precondition_required`), `outcome` (`not_applied`, or `unknown` when a
/// write may have happened), and the members of `extra`.
void send_problem(httplib::Response& res, int status, const std::string& code,
                  const std::string& detail,
                  nlohmann::json extra = nlohmann::json::object());

/// Answers an engine error: its status (`http_status_of`), its payload
/// (a conflict's members, or the `stored` record of a `not_found`), the
/// stored record's ETag when it has a version, and `Retry-After` on 503.
void send_error(httplib::Response& res, const caf::error& err,
                const http_options& opts, bool in_batch = false);

} // namespace entact::http
