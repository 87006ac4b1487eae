#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <httplib.h>

#include "entact/serve_http.hpp"

namespace entact::http {

/// True if a request may name `host` (its `Host` header, `name[:port]`):
/// an IP literal (`127.0.0.1:8080`, `[::1]:8080`), `localhost`, or one of
/// `allowed` (`name` matches any port, `name:port` that port only; names
/// compare case-insensitively). DNS rebinding reaches the gateway only
/// under a name the attacker's DNS resolves, which none of these is.
bool host_allowed(std::string_view host,
                  const std::vector<std::string>& allowed);

/// True if a state-changing request from a page of `origin` (its `Origin`
/// header, `scheme://authority`) may proceed: the page's own origin (the
/// authority is the request's `host`), or an authority of `allowed`.
/// `null` (a sandboxed or file page) is never allowed.
bool origin_allowed(std::string_view origin, std::string_view host,
                    const std::vector<std::string>& allowed);

/// Refuses a request the Host and Origin rules forbid (see README,
/// "Securing the HTTP API"): 400 for a missing or repeated Host on
/// HTTP/1.1, 421 for a foreign Host, 403 for a foreign Origin on a method
/// other than GET, HEAD and OPTIONS. Returns true if it answered.
bool refuse_foreign_request(const httplib::Request& req,
                            httplib::Response& res, const http_options& opts);

} // namespace entact::http
