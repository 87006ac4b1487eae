#pragma once

#include <string>

#include <caf/error.hpp>

#include "entact/serve_http.hpp"
#include "entact/watch_event.hpp"

namespace entact::http {

/// One Server-Sent Event (the WHATWG `text/event-stream` format) of a
/// watch: `id: <version>`, `event: version` (or `lagged`: versions were
/// skipped, resync from this record), `data: <record_json>` on one line.
std::string sse_event(const watch_event& ev);

/// The event that ends a stream whose watch failed: `event: error`,
/// `data:` the problem+json body an answer with that error would carry.
std::string sse_error(const caf::error& err, const http_options& opts);

/// A comment line: keeps the connection busy for proxies, and tells a
/// vanished peer by the failed write.
inline constexpr const char* sse_keepalive = ": keepalive\n\n";

} // namespace entact::http
