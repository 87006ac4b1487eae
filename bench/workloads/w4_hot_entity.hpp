#pragma once

#include "harness/config.hpp"
#include "harness/report.hpp"

namespace bench {

/// W4: one hot entity, cfg.clients clients incrementing it by optimistic
/// read-modify-write with retries (sync on); entact beside raw-N with the
/// same retry policy and locked-map, and `entact modify` (the increment as
/// a registered operation: no conflicts, coalesced writes). Checks that the
/// final counter equals the committed increments.
void run_hot(const config& cfg, report& rep);

} // namespace bench
