// GET / and GET /console: the browser console, one self-contained page
// (http/console/index.html, embedded in the binary at build time) that
// talks to this same gateway: two users editing one entity with If-Match,
// the 412 and its resolutions, the entity's watch, and /metrics.

#include "console_page.hpp"
#include "routes.hpp"

namespace entact::http {

namespace {

/// The page's script and style are inline; it loads nothing else and talks
/// only to its own origin (fetch, EventSource). No framing: a page that
/// writes to the database must not be clickjacked into another site.
constexpr const char* console_csp =
  "default-src 'self'; script-src 'self' 'unsafe-inline'; "
  "style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; "
  "form-action 'none'; frame-ancestors 'none'";

void send_console(exchange& ex) {
  // Query parameters are for the page's script (`?id=doc/7`): ignored here.
  auto page = console_page();
  ex.res.status = 200;
  ex.res.set_header("Content-Security-Policy", console_csp);
  ex.res.set_header("X-Content-Type-Options", "nosniff");
  ex.res.set_header("Cache-Control", "no-store");
  ex.res.set_header("Referrer-Policy", "no-referrer");
  ex.res.set_content(page.data(), page.size(), "text/html; charset=utf-8");
}

} // namespace

void add_console_route(router& r) {
  r.add("GET", "/", send_console);
  r.add("GET", "/console", send_console);
}

} // namespace entact::http
