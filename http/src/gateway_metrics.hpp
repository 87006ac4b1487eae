#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <httplib.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>

#include "router.hpp"

namespace entact::http {

/// The gateway's own metrics (README, "Metrics"): requests by method, route
/// and status, their durations by route, and requests refused for their
/// size. Labels come from bounded sets only: a method outside the ones
/// HTTP/1.1 servers know is `other`, a path is named by the route that took
/// it (never the path itself), a status is one the gateway answered with.
///
/// Thread-safe: every cpp-httplib worker records into it.
class gateway_metrics {
public:
  explicit gateway_metrics(const router& routes);

  /// Marks the start of the request the calling thread serves (cpp-httplib
  /// serves each request on one thread, from its pre-routing handler to its
  /// logger).
  static void request_started();

  /// Counts an answered request: called by cpp-httplib's logger once the
  /// answer is written, for every request, its own errors included.
  void request_done(const httplib::Request& req,
                    const httplib::Response& res);

  /// Watch streams (`GET /v1/entities/{id}/watch`): one opened, one ended,
  /// one refused past `max_watch_streams`, one stream's buffer dropped to
  /// a `lagged` event for a slow peer.
  void watch_opened();
  void watch_closed();
  void watch_refused();
  void watch_lagged();

  /// The gateway's metric families, and its build and uptime.
  std::vector<prometheus::MetricFamily> collect() const;

private:
  const router& routes_;
  std::chrono::steady_clock::time_point started_;
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& durations_;
  prometheus::Family<prometheus::Counter>& refused_;
  prometheus::Family<prometheus::Gauge>& build_;
  prometheus::Family<prometheus::Gauge>& uptime_;
  prometheus::Gauge& watch_streams_;
  prometheus::Counter& watch_refused_;
  prometheus::Counter& watch_lagged_;
};

} // namespace entact::http
