#pragma once

#include <string>

#include <httplib.h>

#include "entact/serve_http.hpp"

namespace entact::http {

/// True if `given` is `token`, compared in time that does not depend on
/// where they differ (or on `token`'s length): their SHA-256 digests
/// through `CRYPTO_memcmp`.
bool token_matches(const std::string& given, const std::string& token);

/// With `opts.token` set, refuses a request that does not carry it: 401
/// with `WWW-Authenticate: Bearer` unless it sends `Authorization: Bearer
/// <token>`, or (on the watch route only, named `route`, since a browser's
/// `EventSource` cannot send headers) `?access_token=<token>`, which is
/// then taken out of the query before the route reads it. `GET /healthz`
/// and the console page (static bytes, no data) are open. Returns true if
/// it answered.
bool refuse_unauthenticated(const httplib::Request& req,
                            httplib::Response& res, const http_options& opts,
                            const std::string& route);

} // namespace entact::http
