#pragma once

// The rows --partitions adds (2 or more partitions) measured against what
// their one-partition row is measured against, and against that row.

#include <string>
#include <utility>
#include <vector>

#include "harness/config.hpp"
#include "harness/report.hpp"

namespace bench {

/// The baselines a workload's one-partition entact rows are held against
/// by the targets: W1 raw-N and raw-1, W2 raw-1, W3 raw-pess; none in W6
/// (open loop, no baseline).
std::vector<std::string> partition_baselines(const config& cfg,
                                             const std::string& w);

/// Adds to every row of 2+ partitions, as metrics: "over_<baseline>" (its
/// ops/s over each baseline's above) and "over_1_partition" (over its own
/// row with one partition, same run); in W6 "p99_over_1_partition"; a
/// store-alone row also "group_path_cpu_known_over_raw-1" (committer CPU
/// per write, ids known, over raw-1's CPU per op) and
/// "group_path_cpu_known_over_1_partition". Missing peers add nothing.
void add_partition_ratios(const config& cfg, report& rep);

/// The ratios and the spanning share of a row of 2+ partitions, in words
/// ("1.52x raw-64, 1.31x 1 partition, 49.8% spanning"); empty for others.
std::string partition_summary(const row& x);

} // namespace bench
