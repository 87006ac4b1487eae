#pragma once

// The baselines' runs in W1, W2 and W3, made the same way every time: a
// fresh database, the workload's data at version 1, the closed-loop run,
// and RocksDB's own write-group counters beside the figures (printed, and
// kept as the row's metrics).

#include <cstddef>
#include <string>

#include "systems/baselines.hpp"
#include "harness/config.hpp"
#include "harness/report.hpp"

namespace bench {

/// Which row a baseline run becomes.
struct baseline_row {
  std::string workload;
  std::string system; // also its label in the progress lines
  size_t threads;
  std::string note;
};

/// Versioned updates of uniform keys through raw_optimistic
/// (GetForUpdate + Put + Commit), each client at the version it last saw.
run_result run_raw_updates(const config& cfg, report& rep,
                           const baseline_row& how, const dataset& data,
                           bool sync);

/// The same updates through locked_map.
run_result run_locked_map_updates(const config& cfg, report& rep,
                                  const baseline_row& how,
                                  const dataset& data, bool sync);

/// Transactions over two distinct random entities through raw_pessimistic.
run_result run_raw_pess(const config& cfg, report& rep,
                        const baseline_row& how, const dataset& data,
                        bool sync);

} // namespace bench
