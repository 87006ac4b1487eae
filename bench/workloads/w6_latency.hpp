#pragma once

#include "harness/config.hpp"
#include "harness/report.hpp"

namespace bench {

/// W6: W1's updates offered open-loop at a fixed rate (--w6-rate, or half
/// of W1's entact peak, measured first if W1 did not run), latency counted
/// from each update's intended send time.
void run_latency(const config& cfg, report& rep);

} // namespace bench
