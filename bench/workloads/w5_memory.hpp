#pragma once

#include "harness/config.hpp"
#include "harness/report.hpp"

namespace bench {

/// W5: memory. RSS per resident entity with cfg.w5_resident entities
/// resident, then RSS while touching cfg.w5_touch entities under a resident
/// cap of cfg.w5_cap: it must stay bounded once the cap is reached. Best
/// run first, in a fresh process.
void run_memory(const config& cfg, report& rep);

} // namespace bench
