#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "entact/database.hpp"
#include "entact/engine_options.hpp"
#include "entact/engine_stats.hpp"
#include "entact/limits.hpp"

namespace entact {

/// Where and how `serve_http` makes a `database` reachable over HTTP/JSON.
struct http_options {
  /// Address to listen on (empty: every interface).
  std::string host = "127.0.0.1";
  /// Port to listen on (0: any free port; `http_listener::port` tells which).
  uint16_t port = 0;
  /// The engine's limits: ids and values past them are refused (413 for a
  /// value over `max_value_bytes`) before the engine is asked.
  entact::limits limits;
  /// Most writes in one `POST /v1/batch` (the engine's `max_txn_entities`).
  size_t max_txn_entities = 64;
  /// Largest request body (a batch's JSON); 0: derived from the limits
  /// (`default_max_body_bytes`). A `PUT` body is bounded by
  /// `limits.max_value_bytes` on its own.
  size_t max_body_bytes = 0;
  /// Most bytes of request headers (names and values); past it: 431.
  size_t max_header_bytes = 16 * 1024;
  /// Threads serving connections (cpp-httplib's thread pool): at most this
  /// many requests run at once; later connections wait for a thread.
  size_t threads = 8;
  /// Longest wait for the next bytes of a request, and for a response's
  /// bytes to be taken by the peer (cpp-httplib's read/write timeouts).
  std::chrono::seconds read_timeout{5};
  std::chrono::seconds write_timeout{5};
  /// How long an idle keep-alive connection holds its thread.
  std::chrono::seconds keep_alive_timeout{5};
  /// `Retry-After` sent with 503 (`overloaded`, `closed`, `lock_timeout`).
  std::chrono::seconds retry_after{1};
  /// Where `GET /metrics` reads the engine's counters at each scrape, e.g.
  /// `[&eng] { return eng.stats(std::chrono::seconds{2}); }`: it must
  /// return within a bounded wait. Empty: `/metrics` reports only the
  /// gateway's own metrics.
  std::function<caf::expected<engine_stats>()> stats;
  /// Most `GET /v1/entities/{id}/watch` streams open at once; past it: 503
  /// with `Retry-After`. Each holds one of `threads` while it is open, so
  /// it must leave at least one for other requests (`invalid_argument`
  /// otherwise). 0: `threads / 2`, at least 1.
  size_t max_watch_streams = 0;
  /// A stream with nothing to send for this long sends a `: keepalive`
  /// comment, so that proxies keep it and a vanished peer is noticed.
  std::chrono::milliseconds watch_keepalive = std::chrono::seconds{15};
  /// A stream ends after this long (an `EventSource` reconnects with
  /// `Last-Event-ID` and misses nothing), so no client holds a thread
  /// forever.
  std::chrono::milliseconds max_watch_duration = std::chrono::minutes{10};
  /// Most events, and value bytes, buffered per stream between the watch
  /// and a socket its peer reads slowly; past either the buffer drops to
  /// one `lagged` event with the newest record (so it holds at most this
  /// much, or one record).
  size_t watch_buffer_events = 256;
  size_t watch_buffer_bytes = 1024 * 1024;
  /// `Host` names served besides IP literals and `localhost` (`name`: any
  /// port, `name:port`: that one); any other Host is refused with 421,
  /// and a write whose `Origin` is neither the request's own nor one of
  /// these with 403 (DNS rebinding, cross-site requests).
  std::vector<std::string> allowed_hosts;
  /// The bearer token every request must carry (`Authorization: Bearer`),
  /// except `GET /healthz` and the console page; else 401. Empty: none.
  std::string token;
  /// Serve the browser console at `GET /` and `GET /console`.
  bool console = true;
  /// Most interactive transactions (`POST /v1/transactions/begin`) open at
  /// once; past it: 503 with `Retry-After`. Each holds its locks until it
  /// commits, aborts or its lease (at most the engine's `max_lease`) ends.
  size_t max_open_transactions = 1024;
};

/// The `max_watch_streams` in force for `opts` (its default if it is 0).
size_t max_watch_streams_of(const http_options& opts) noexcept;

/// `http_options` whose limits are those of an engine opened with `opts`.
http_options http_options_for(const engine_options& opts);

/// The body limit `serve_http` uses when `http_options::max_body_bytes` is
/// 0: `2 * max_txn_entities * (max_value_bytes + max_id_bytes) + 1 MiB`
/// (at least `max_value_bytes`) -- a batch of the most writes with ids and
/// values at their limits, with room for JSON's quoting (base64 is 4/3 of
/// the bytes): 129 MiB with the engine's defaults.
size_t default_max_body_bytes(const http_options& opts);

/// A `database` served over HTTP by `serve_http`. It must not outlive the
/// database: stop (or destroy) it first.
class http_listener {
public:
  ~http_listener();

  http_listener(const http_listener&) = delete;
  http_listener& operator=(const http_listener&) = delete;

  /// The port the listening socket is bound to.
  uint16_t port() const noexcept;

  /// The body limit in force.
  size_t max_body_bytes() const noexcept;

  /// Closes the port, ends the open watch streams, and waits until every
  /// request under way has been answered (at most about
  /// `keep_alive_timeout` plus the slowest call, or `write_timeout` for a
  /// stream whose peer reads nothing). Idempotent.
  void stop();

  struct impl;

private:
  friend caf::expected<std::unique_ptr<http_listener>>
  serve_http(database&, http_options);

  explicit http_listener(std::unique_ptr<impl> ptr);

  std::unique_ptr<impl> impl_;
};

/// Serves `db` over HTTP/1.1 on `opts.host`:`opts.port` (see README, "HTTP
/// API"): `GET`/`HEAD`/`PUT`/`DELETE /v1/entities/{id}` with ETags and
/// `If-Match`/`If-None-Match`, `POST /v1/batch`, `POST /v1/transactions`,
/// `GET /healthz`, `GET /metrics` (Prometheus), `GET
/// /v1/entities/{id}/watch` (Server-Sent Events). Every error is an RFC
/// 9457 `application/problem+json` body.
///
/// Errors: `invalid_argument` (a limit or thread count of 0, or
/// `max_watch_streams` leaving no thread for other requests), or
/// `caf::sec::cannot_open_port` when the address cannot be bound.
caf::expected<std::unique_ptr<http_listener>>
serve_http(database& db, http_options opts = {});

/// The HTTP status for an error of `code` (README's Errors table):
/// `conflict` is 412 for a single entity's precondition and 409 for a
/// batch (`in_batch`).
int http_status_of(errc code, bool in_batch = false) noexcept;

} // namespace entact
