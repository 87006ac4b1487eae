// GET /metrics: the Prometheus text format (version 0.0.4), made by
// prometheus-cpp's TextSerializer from the gateway's registry and the
// engine's counters read now. Served by the gateway's own cpp-httplib
// server, so it shares its port, limits and guard.

#include <prometheus/text_serializer.h>

#include "engine_metrics.hpp"
#include "problem.hpp"
#include "routes.hpp"

namespace entact::http {

void add_metrics_route(router& r, const gateway_metrics& metrics,
                       const http_options& opts) {
  r.add("GET", "/metrics", [&metrics, opts](exchange& ex) {
    if (!ex.req.params.empty())
      return send_problem(ex.res, 400, "invalid_argument",
                          "/metrics takes no query parameters");
    auto families = metrics.collect();
    if (opts.stats) {
      auto engine = engine_families(opts.stats());
      families.insert(families.end(), engine.begin(), engine.end());
    }
    ex.res.status = 200;
    ex.res.set_content(prometheus::TextSerializer{}.Serialize(families),
                       "text/plain; version=0.0.4");
  });
}

} // namespace entact::http
