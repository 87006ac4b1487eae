#pragma once

#include "harness/config.hpp"
#include "harness/report.hpp"

namespace bench {

/// W6: W1's updates offered open-loop at a fixed rate (--w6-rate, or half
/// of W1's entact peak, measured first if W1 did not run), latency counted
/// from each update's intended send time. W6b (`overload`): four times
/// that rate, twice what the engine can take: goodput, the calls refused
/// `overloaded` by admission control, and the latency of those accepted.
void run_latency(const config& cfg, report& rep, bool overload = false);

} // namespace bench
