#include "entact/serve_http.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <limits>
#include <thread>

#include <caf/sec.hpp>
#include <sys/socket.h>

#include "auth.hpp"
#include "body.hpp"
#include "gateway_metrics.hpp"
#include "host_check.hpp"
#include "entact/engine.hpp"
#include "entact/errc.hpp"
#include "entact/saturating.hpp"
#include "open_transactions.hpp"
#include "problem.hpp"
#include "router.hpp"
#include "routes.hpp"
#include "watch_streams.hpp"

namespace entact {

using detail::add_sat;
using detail::mul_sat;

http_options http_options_for(const engine_options& opts) {
  http_options result;
  result.limits = opts.limits;
  result.max_txn_entities = opts.max_txn_entities;
  return result;
}

size_t max_watch_streams_of(const http_options& opts) noexcept {
  return opts.max_watch_streams != 0 ? opts.max_watch_streams
                                     : std::max<size_t>(opts.threads / 2, 1);
}

size_t default_max_body_bytes(const http_options& opts) {
  constexpr size_t mib = 1024 * 1024;
  auto entity = add_sat(opts.limits.max_value_bytes, opts.limits.max_id_bytes);
  auto batch = mul_sat(mul_sat(entity, opts.max_txn_entities), 2);
  return std::max(add_sat(batch, mib), opts.limits.max_value_bytes);
}

} // namespace entact

namespace entact::http {

namespace {

/// Checks what routing cannot: the size of the headers, a method that
/// carries no body sent with one, the framing headers a request smuggler
/// plays with, and methods no route takes (TRACE, CONNECT). Anything it
/// refuses leaves bytes unread, so the connection closes after the answer.
httplib::Server::HandlerResponse
guard(const httplib::Request& req, httplib::Response& res,
      const http_options& opts, const router& routes) {
  using result = httplib::Server::HandlerResponse;
  gateway_metrics::request_started();
  auto refuse = [&](int status, const std::string& code,
                    const std::string& detail) {
    send_problem(res, status, code, detail);
    close_after(res);
    return result::Handled;
  };
  size_t header_bytes = 0;
  for (const auto& [name, value] : req.headers)
    header_bytes += name.size() + value.size() + 4;
  if (header_bytes > opts.max_header_bytes)
    return refuse(431, "too_large",
                  "the request's headers are larger than "
                    + std::to_string(opts.max_header_bytes) + " bytes");
  // Before anything else reads the request: Host, Origin, then the token.
  if (refuse_foreign_request(req, res, opts)
      || refuse_unauthenticated(req, res, opts, routes.name_of(req))) {
    close_after(res);
    return result::Handled;
  }
  auto length = req.get_header_value("Content-Length");
  if (req.get_header_value_count("Content-Length") > 1
      || length.find_first_not_of("0123456789") != std::string::npos
      || (!length.empty() && req.has_header("Transfer-Encoding")))
    return refuse(400, "invalid_argument",
                  "ambiguous framing: Content-Length must be one decimal "
                  "number, and not sent with Transfer-Encoding");
  auto method = req.method;
  auto bodiless = method == "GET" || method == "HEAD" || method == "OPTIONS";
  if (bodiless && has_body(req))
    return refuse(400, "invalid_argument", "a " + method + " carries no body");
  if (!bodiless && method != "PUT" && method != "POST" && method != "DELETE"
      && method != "PATCH") {
    // No route takes it: dispatch answers 404 or 405 with Allow.
    exchange ex{req, res, nullptr, {}, false};
    routes.dispatch(ex);
    close_after(res);
    return result::Handled;
  }
  // cpp-httplib slices any answer to a Range header, errors included;
  // RFC 9110 lets a server ignore Range, which entact does: whole values.
  const_cast<httplib::Request&>(req).ranges.clear();
  return result::Unhandled;
}

/// Runs a request through the routes; closes the connection after the
/// answer if the handler left a body unread (404, 405, 4xx before reading).
void serve(const router& routes, const httplib::Request& req,
           httplib::Response& res, const httplib::ContentReader* reader) {
  exchange ex{req, res, reader, {}, false};
  routes.dispatch(ex);
  if (has_body(req) && !ex.body_read)
    close_after(res);
}

/// Gives cpp-httplib's own errors (400 for an unparsable request line, 413,
/// 414, 500) a problem body; leaves the gateway's answers alone.
void problem_for_library_errors(const httplib::Request&,
                                httplib::Response& res) {
  if (res.has_header("Content-Type"))
    return;
  auto status = res.status;
  auto code = status == 413 || status == 414 ? "too_large"
              : status >= 500                ? "internal_error"
                                             : "invalid_argument";
  send_problem(res, status, code, "the request could not be served");
}

void configure(httplib::Server& svr, const router& routes,
               gateway_metrics& metrics, const http_options& opts) {
  auto threads = opts.threads;
  svr.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  // cpp-httplib sets SO_REUSEPORT by default, which lets a second server
  // bind a port that is in use and share its connections: take only
  // SO_REUSEADDR (a restart may bind a port still in TIME_WAIT).
  svr.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  // The library's own bound on a declared Content-Length; the routes bound
  // each body tighter (a PUT by the value limit) and also chunked ones.
  svr.set_payload_max_length(
    std::max(opts.max_body_bytes, opts.limits.max_value_bytes));
  // cpp-httplib writes a response's headers and body separately: with
  // Nagle's algorithm on, the body waits for the peer's delayed ACK
  // (~40 ms per request on Linux).
  svr.set_tcp_nodelay(true);
  svr.set_read_timeout(opts.read_timeout);
  svr.set_write_timeout(opts.write_timeout);
  svr.set_keep_alive_timeout(
    static_cast<time_t>(opts.keep_alive_timeout.count()));
  svr.set_pre_routing_handler(
    [&routes, opts](const httplib::Request& req, httplib::Response& res) {
      return guard(req, res, opts, routes);
    });
  auto plain = [&routes](const httplib::Request& req, httplib::Response& res) {
    serve(routes, req, res, nullptr);
  };
  auto with_body = [&routes](const httplib::Request& req,
                             httplib::Response& res,
                             const httplib::ContentReader& reader) {
    serve(routes, req, res, &reader);
  };
  svr.Get(".*", plain);
  svr.Options(".*", plain);
  svr.Put(".*", with_body);
  svr.Post(".*", with_body);
  svr.Delete(".*", with_body);
  svr.Patch(".*", with_body);
  svr.set_error_handler(problem_for_library_errors);
  // Called once the answer is written, for every request.
  svr.set_logger(
    [&metrics](const httplib::Request& req, const httplib::Response& res) {
      metrics.request_done(req, res);
    });
  svr.set_exception_handler(
    [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
      send_problem(res, 500, "internal_error",
                   "the gateway failed while serving this request");
    });
}

} // namespace

} // namespace entact::http

namespace entact {

struct http_listener::impl {
  http::router routes;
  http::gateway_metrics metrics{routes};
  std::unique_ptr<http::watch_streams> streams;
  httplib::Server server;
  std::thread loop;
  uint16_t port = 0;
  size_t max_body_bytes = 0;
  /// Interactive transactions: only an engine has a coordinator to ask.
  std::shared_ptr<http::open_transactions> txns;
};

http_listener::http_listener(std::unique_ptr<impl> ptr)
  : impl_(std::move(ptr)) {
}

http_listener::~http_listener() {
  stop();
}

uint16_t http_listener::port() const noexcept {
  return impl_->port;
}

size_t http_listener::max_body_bytes() const noexcept {
  return impl_->max_body_bytes;
}

void http_listener::stop() {
  if (!impl_->loop.joinable())
    return;
  // Streams end only when woken: before the server waits for its threads.
  impl_->streams->stop_all();
  impl_->server.stop();
  impl_->loop.join();
  // Its owner actor lives in the engine's actor system: end it (and so its
  // open transactions) now, not when the listener is destroyed.
  impl_->txns.reset();
}

caf::expected<std::unique_ptr<http_listener>>
serve_http(database& db, http_options opts) {
  if (opts.threads == 0 || opts.limits.max_value_bytes == 0
      || opts.limits.max_id_bytes == 0 || opts.max_txn_entities == 0
      || opts.max_header_bytes == 0 || opts.read_timeout.count() <= 0
      || opts.write_timeout.count() <= 0 || opts.max_open_transactions == 0)
    return make_error(errc::invalid_argument,
                      "serve_http: limits, timeouts and threads must be "
                      "positive");
  if (opts.watch_keepalive.count() <= 0
      || opts.max_watch_duration.count() <= 0
      || opts.watch_buffer_events == 0 || opts.watch_buffer_bytes == 0)
    return make_error(errc::invalid_argument,
                      "serve_http: watch keepalive, duration and buffer "
                      "bounds must be positive");
  auto max_streams = max_watch_streams_of(opts);
  if (max_streams >= opts.threads)
    return make_error(errc::invalid_argument,
                      "serve_http: max_watch_streams ("
                        + std::to_string(max_streams)
                        + ") must be below threads ("
                        + std::to_string(opts.threads)
                        + "): each stream holds a thread, and one must "
                          "stay for other requests");
  if (opts.max_body_bytes == 0)
    opts.max_body_bytes = default_max_body_bytes(opts);
  auto st = std::make_unique<http_listener::impl>();
  st->streams = std::make_unique<http::watch_streams>(max_streams,
                                                      st->metrics);
  http::add_health_route(st->routes, db, opts);
  http::add_entity_routes(st->routes, db, opts);
  http::add_scan_route(st->routes, db, opts);
  http::add_batch_route(st->routes, db, opts);
  http::add_transaction_route(st->routes, db, opts);
  http::add_modify_route(st->routes, db, opts);
  if (auto* eng = dynamic_cast<engine*>(&db)) {
    st->txns = std::make_shared<http::open_transactions>(
      eng->system(), eng->coordinator(), opts.max_open_transactions,
      eng->options().request_timeout);
    // The engine may close before the gateway stops: the table must let go
    // of the actor system first.
    std::weak_ptr<http::open_transactions> weak = st->txns;
    eng->on_close([weak] {
      if (auto t = weak.lock())
        t->shutdown();
    });
    http::add_interactive_routes(st->routes, *st->txns, opts);
  }
  if (opts.console)
    http::add_console_route(st->routes);
  http::add_metrics_route(st->routes, st->metrics, opts);
  http::add_watch_route(st->routes, db, *st->streams, opts);
  http::configure(st->server, st->routes, st->metrics, opts);
  auto host = opts.host.empty() ? std::string{"0.0.0.0"} : opts.host;
  auto port = opts.port == 0 ? st->server.bind_to_any_port(host)
              : st->server.bind_to_port(host, opts.port) ? int{opts.port}
                                                         : -1;
  if (port <= 0)
    return caf::make_error(caf::sec::cannot_open_port,
                           "serve_http: cannot listen on " + opts.host + ":"
                             + std::to_string(opts.port));
  st->port = static_cast<uint16_t>(port);
  st->max_body_bytes = opts.max_body_bytes;
  auto* server = &st->server;
  auto done = std::make_shared<std::atomic<bool>>(false);
  st->loop = std::thread{[server, done] {
    server->listen_after_bind();
    *done = true;
  }};
  // cpp-httplib's stop() does nothing until its loop runs: wait for it, so
  // that a stop() right after this returns cannot miss it and hang.
  while (!server->is_running() && !*done)
    std::this_thread::sleep_for(std::chrono::milliseconds{1});
  return std::unique_ptr<http_listener>{new http_listener(std::move(st))};
}

} // namespace entact
