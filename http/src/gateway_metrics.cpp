#include "gateway_metrics.hpp"

#include <optional>

#ifndef ENTACT_VERSION
#  define ENTACT_VERSION "unknown"
#endif
#ifndef ENTACT_COMMIT
#  define ENTACT_COMMIT "unknown"
#endif

namespace entact::http {

namespace {

using clock = std::chrono::steady_clock;

/// When the request this thread serves started; unset for a request the
/// library refused before its pre-routing handler ran (an unparsable
/// request line), whose duration is not observed.
thread_local std::optional<clock::time_point> current_start;

/// A bounded label for any method a client may send.
std::string method_label(const std::string& method) {
  for (const char* known :
       {"GET", "HEAD", "PUT", "POST", "DELETE", "PATCH", "OPTIONS"})
    if (method == known)
      return method;
  return "other";
}

/// Why a request was refused for its size, or null.
const char* refusal_of(int status) {
  switch (status) {
    case 413: return "body_too_large";
    case 414: return "uri_too_long";
    case 431: return "headers_too_large";
    default: return nullptr;
  }
}

/// 100 us to 10 s: an entity read from memory takes ~100 us end to end, a
/// durable write ~1-5 ms, a transaction waiting for locks up to its lease.
const prometheus::Histogram::BucketBoundaries duration_buckets{
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
  0.025,  0.05,    0.1,    0.25,  0.5,    1,     2.5, 5, 10};

} // namespace

gateway_metrics::gateway_metrics(const router& routes)
  : routes_(routes),
    started_(clock::now()),
    registry_(std::make_shared<prometheus::Registry>()),
    requests_(prometheus::BuildCounter()
                .Name("entact_http_requests_total")
                .Help("HTTP requests answered, by method, route and status "
                      "code")
                .Register(*registry_)),
    durations_(prometheus::BuildHistogram()
                 .Name("entact_http_request_duration_seconds")
                 .Help("Time from a request's headers to its answer, by "
                       "route")
                 .Register(*registry_)),
    refused_(prometheus::BuildCounter()
               .Name("entact_http_requests_refused_total")
               .Help("HTTP requests refused for their size (413 body, 414 "
                     "URI, 431 headers), by reason")
               .Register(*registry_)),
    build_(prometheus::BuildGauge()
             .Name("entact_build_info")
             .Help("Always 1; labels: the entact version and the git commit "
                   "it was configured from")
             .Register(*registry_)),
    uptime_(prometheus::BuildGauge()
              .Name("entact_uptime_seconds")
              .Help("Seconds since the HTTP gateway started serving")
              .Register(*registry_)),
    watch_streams_(prometheus::BuildGauge()
                     .Name("entact_http_watch_streams")
                     .Help("Watch streams (Server-Sent Events) open now")
                     .Register(*registry_)
                     .Add({})),
    watch_refused_(prometheus::BuildCounter()
                     .Name("entact_http_watch_streams_refused_total")
                     .Help("Watch streams refused with 503: "
                           "max_watch_streams were open")
                     .Register(*registry_)
                     .Add({})),
    watch_lagged_(prometheus::BuildCounter()
                    .Name("entact_http_watch_lagged_total")
                    .Help("Times a watch stream's buffer dropped to one "
                          "lagged event because its peer read too slowly")
                    .Register(*registry_)
                    .Add({})) {
  build_.Add({{"version", ENTACT_VERSION}, {"commit", ENTACT_COMMIT}}).Set(1);
  // Present from the first scrape, so that rate() sees their first increase.
  for (const char* reason :
       {"body_too_large", "uri_too_long", "headers_too_large"})
    refused_.Add({{"reason", reason}});
}

void gateway_metrics::request_started() {
  current_start = clock::now();
}

void gateway_metrics::request_done(const httplib::Request& req,
                                   const httplib::Response& res) {
  auto route = routes_.name_of(req);
  requests_
    .Add({{"method", method_label(req.method)},
          {"route", route},
          {"code", std::to_string(res.status)}})
    .Increment();
  if (auto reason = refusal_of(res.status))
    refused_.Add({{"reason", reason}}).Increment();
  if (current_start) {
    std::chrono::duration<double> took = clock::now() - *current_start;
    durations_.Add({{"route", route}}, duration_buckets)
      .Observe(took.count());
    current_start.reset();
  }
}

void gateway_metrics::watch_opened() {
  watch_streams_.Increment();
}

void gateway_metrics::watch_closed() {
  watch_streams_.Decrement();
}

void gateway_metrics::watch_refused() {
  watch_refused_.Increment();
}

void gateway_metrics::watch_lagged() {
  watch_lagged_.Increment();
}

std::vector<prometheus::MetricFamily> gateway_metrics::collect() const {
  std::chrono::duration<double> up = clock::now() - started_;
  uptime_.Add({}).Set(up.count());
  return registry_->Collect();
}

} // namespace entact::http
