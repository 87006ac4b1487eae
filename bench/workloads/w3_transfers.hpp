#pragma once

#include "harness/config.hpp"
#include "harness/report.hpp"

namespace bench {

/// W3: transfers between two random accounts from cfg.w3_clients clients,
/// each locking both, reading both balances and writing both. entact's
/// transact() beside an optimistic entact variant and raw-pess; checks that
/// no money is created or destroyed.
void run_transfers(const config& cfg, report& rep);

} // namespace bench
