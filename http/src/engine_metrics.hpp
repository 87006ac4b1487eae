#pragma once

#include <vector>

#include <caf/expected.hpp>
#include <prometheus/metric_family.h>

#include "entact/engine_stats.hpp"

namespace entact::http {

/// The engine's counters as metric families (README, "Metrics"), read at
/// scrape time: `entact_engine_up` is 1 with them, and 0 alone when `stats`
/// holds an error (the engine did not answer within the scrape's bound).
std::vector<prometheus::MetricFamily>
engine_families(const caf::expected<engine_stats>& stats);

} // namespace entact::http
