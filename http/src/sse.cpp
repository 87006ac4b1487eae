#include "sse.hpp"

#include <httplib.h>

#include "json_codec.hpp"
#include "problem.hpp"

namespace entact::http {

namespace {

/// `data:` must hold one line: JSON dumped without indentation escapes
/// every newline inside strings, and `record_json` base64-encodes bytes
/// that are not UTF-8.
std::string data_line(const std::string& json) {
  return "data: " + json + "\n\n";
}

} // namespace

std::string sse_event(const watch_event& ev) {
  return "id: " + std::to_string(ev.rec.version) + "\nevent: "
         + (ev.lagged ? "lagged" : "version") + "\n"
         + data_line(record_json(ev.rec).dump());
}

std::string sse_error(const caf::error& err, const http_options& opts) {
  // The very body `send_error` gives an answer, so a reader parses both
  // alike.
  httplib::Response res;
  send_error(res, err, opts);
  return "event: error\n" + data_line(res.body);
}

} // namespace entact::http
