#pragma once

#include <string>

#include "harness/config.hpp"
#include "systems/baselines.hpp"

namespace bench {

/// The store's group path alone, without the cost of waking blocked
/// callers: one thread queues a versioned update of every entity with
/// `commit_async` (a callback that only counts), in groups of at most 50,
/// twice — first when the committer knows none of the ids (each is read),
/// then when it knows all of them (none is read) — and reports the
/// committer thread's CPU per write of each pass (`store_stats::
/// committer_cpu_ns`, summed over the partitions' committers), and prints
/// them. raw-1's CPU per op in the same run is its peer. The store has
/// `partitions`, on a fresh directory.
struct group_path_cpu {
  double us_per_write_read = 0;
  double us_per_write_known = 0;
  size_t failed = 0;
};

group_path_cpu measure_store_group_path(const config& cfg,
                                        const dataset& data, bool sync,
                                        size_t partitions = 1);

} // namespace bench
