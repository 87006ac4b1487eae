#pragma once

#include "entact/database.hpp"
#include "entact/serve_http.hpp"
#include "gateway_metrics.hpp"
#include "router.hpp"

namespace entact::http {

/// `GET /` and `GET /console`: the browser console page (console_route.cpp).
void add_console_route(router& r);

/// `GET`, `HEAD`, `PUT` and `DELETE` on `/v1/entities/{id}` (entity_routes.cpp).
void add_entity_routes(router& r, database& db, const http_options& opts);

/// `GET /v1/entities?prefix=&after=&limit=`: a page of `database::scan`
/// (scan_route.cpp).
void add_scan_route(router& r, database& db, const http_options& opts);

/// `POST /v1/batch` (batch_route.cpp).
void add_batch_route(router& r, database& db, const http_options& opts);

/// `POST /v1/transactions` (transaction_route.cpp).
void add_transaction_route(router& r, database& db, const http_options& opts);

/// `GET /metrics`: `metrics` and, if `opts.stats` is set, the engine's
/// counters (metrics_route.cpp).
void add_metrics_route(router& r, const gateway_metrics& metrics,
                       const http_options& opts);

/// `POST /v1/entities/{id}/modify`: `database::modify` (modify_route.cpp).
void add_modify_route(router& r, database& db, const http_options& opts);

class open_transactions;

/// `POST /v1/transactions/begin`, `POST /v1/transactions/{id}/commit` and
/// `DELETE /v1/transactions/{id}`: interactive transactions held by `txns`
/// (interactive_route.cpp).
void add_interactive_routes(router& r, open_transactions& txns,
                            const http_options& opts);

class watch_streams;

/// `GET /v1/entities/{id}/watch`: Server-Sent Events, at most as many at
/// once as `streams` admits (watch_route.cpp).
void add_watch_route(router& r, database& db, watch_streams& streams,
                     const http_options& opts);

/// `GET /healthz`: 200 while the database answers a (empty) read.
void add_health_route(router& r, database& db, const http_options& opts);

} // namespace entact::http
