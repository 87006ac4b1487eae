#pragma once

#include <string>

#include "harness/config.hpp"
#include "harness/report.hpp"

namespace bench {

/// W1 (`sync` on, id "W1") or W2 (sync off, "W2"): versioned updates of
/// uniform keys from cfg.clients clients. entact from blocking threads and
/// from asynchronous chains, entact's store alone (what the actors cost),
/// and every baseline.
void run_updates(const config& cfg, report& rep, const std::string& w,
                 bool sync);

} // namespace bench
