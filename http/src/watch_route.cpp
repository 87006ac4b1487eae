// GET /v1/entities/{id}/watch: `database::watch` as Server-Sent Events.
// A stream holds one of cpp-httplib's threads while it is open (the
// library has no asynchronous responses), so their number is bounded, each
// ends after `max_watch_duration`, and the listener's stop wakes them all.
// Between the watch's callback and the socket sits a bounded hand-off: a
// writer never waits for an HTTP watcher, a slow one gets `lagged`.

#include <algorithm>
#include <charconv>
#include <chrono>
#include <memory>
#include <optional>

#include "entact/errc.hpp"
#include "problem.hpp"
#include "routes.hpp"
#include "sse.hpp"
#include "watch_handoff.hpp"
#include "watch_streams.hpp"

namespace entact::http {

namespace {

using clock = std::chrono::steady_clock;

/// A version in decimal, as `after` and `Last-Event-ID` carry it.
std::optional<version_t> parse_version(const std::string& text) {
  version_t v = 0;
  auto end = text.data() + text.size();
  auto [at, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc{} || at != end)
    return std::nullopt;
  return v;
}

/// The version the stream starts after: `?after=V` (0 if absent), or a
/// reconnecting EventSource's `Last-Event-ID` -- the later of the two,
/// since a browser reconnects to the same URL, `after` included, and
/// must resume where it was. Answers 400 if either is malformed.
std::optional<version_t> start_of(exchange& ex) {
  for (const auto& [key, value] : ex.req.params)
    if (key != "after") {
      send_problem(ex.res, 400, "invalid_argument",
                   "unknown query parameter " + key + "=" + value
                     + " (a watch takes only after=<version>)");
      return std::nullopt;
    }
  auto after = std::optional<version_t>{0};
  if (ex.req.has_param("after"))
    after = ex.req.get_param_value_count("after") == 1
              ? parse_version(ex.req.get_param_value("after"))
              : std::nullopt;
  auto last = std::optional<version_t>{0};
  if (ex.req.has_header("Last-Event-ID"))
    last = ex.req.get_header_value_count("Last-Event-ID") == 1
             ? parse_version(ex.req.get_header_value("Last-Event-ID"))
             : std::nullopt;
  if (!after || !last) {
    send_problem(ex.res, 400, "invalid_argument",
                 "after and Last-Event-ID must be one version in decimal "
                 "(0 to 18446744073709551615), e.g. ?after=3");
    return std::nullopt;
  }
  return std::max(*after, *last);
}

/// One open stream. Members end in reverse order: the watch is cancelled
/// before the slot is given back.
struct stream {
  std::shared_ptr<watch_handoff> handoff;
  std::unique_ptr<watch_streams::slot> slot;
  watch_handle handle;
  clock::time_point ends_at;
};

/// Writes what the watch delivered, or a keepalive after `watch_keepalive`
/// of silence. False (the library closes the connection) once the peer
/// is gone; `sink.done()` ends the stream after the watch's error, at the
/// listener's stop and after `max_watch_duration`.
bool pump(stream& st, httplib::DataSink& sink, const http_options& opts) {
  auto now = clock::now();
  auto next = st.handoff->take(std::min(now + opts.watch_keepalive,
                                        st.ends_at));
  if (next.stopped || (next.events.empty() && !next.error
                       && clock::now() >= st.ends_at)) {
    sink.done();
    return true;
  }
  std::string out;
  for (const auto& ev : next.events)
    out += sse_event(ev);
  if (next.error)
    out += sse_error(*next.error, opts);
  if (out.empty())
    out = sse_keepalive;
  if (!sink.write(out.data(), out.size()))
    return false;
  if (next.error)
    sink.done();
  return true;
}

void watch_entity(exchange& ex, database& db, watch_streams& streams,
                  const http_options& opts) {
  if (auto err = validate_id(ex.tail, opts.limits))
    return send_error(ex.res, err, opts);
  auto after = start_of(ex);
  if (!after)
    return;
  ex.res.set_header("Cache-Control", "no-store");
  if (ex.req.method == "HEAD") { // the headers only: no watch to start
    ex.res.status = 200;
    ex.res.set_header("Content-Type", "text/event-stream");
    return;
  }
  auto& metrics = streams.metrics();
  auto st = std::make_shared<stream>();
  st->handoff = std::make_shared<watch_handoff>(
    opts.watch_buffer_events, opts.watch_buffer_bytes,
    [&metrics] { metrics.watch_lagged(); });
  st->slot = streams.open(st->handoff);
  if (!st->slot) {
    send_problem(ex.res, 503, "overloaded",
                 "the gateway already serves "
                   + std::to_string(max_watch_streams_of(opts))
                   + " watch streams (max_watch_streams); retry later");
    ex.res.set_header("Retry-After", std::to_string(opts.retry_after.count()));
    return;
  }
  auto handle = db.watch(ex.tail, *after,
                         [handoff = st->handoff](
                           caf::expected<watch_event> x) {
                           handoff->push(std::move(x));
                         });
  if (!handle)
    return send_error(ex.res, handle.error(), opts);
  st->handle = std::move(*handle);
  st->ends_at = clock::now() + opts.max_watch_duration;
  ex.res.status = 200;
  ex.res.set_chunked_content_provider(
    "text/event-stream",
    [st, opts](size_t, httplib::DataSink& sink) {
      return pump(*st, sink, opts);
    },
    [st](bool) {
      st->handle.cancel();
      st->slot.reset();
    });
}

} // namespace

void add_watch_route(router& r, database& db, watch_streams& streams,
                     const http_options& opts) {
  r.add_suffix("GET", "/v1/entities/", "/watch",
               [&db, &streams, opts](exchange& ex) {
                 watch_entity(ex, db, streams, opts);
               });
}

} // namespace entact::http
