#pragma once

#include "harness/config.hpp"
#include "harness/machine.hpp"
#include "harness/report.hpp"

namespace bench {

/// Prints the summary after every workload ran: the machine, one table per
/// workload (each entact figure beside its baselines and as a ratio), the
/// targets and the failed checks.
void print_table(const config& cfg, const report& rep, const machine_info& m);

} // namespace bench
