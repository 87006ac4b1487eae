#pragma once

// What a run found, gathered as the workloads go: one row per system and
// workload, the targets, and the correctness checks. table.cpp prints it,
// results_json.cpp writes it.

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "harness/util.hpp"

namespace bench {

/// One system's figures in one workload.
struct row {
  std::string workload;
  std::string system;
  bool entact = false;
  bool primary = false; // the entact figure the baselines are compared to
  run_result r;
  std::vector<std::pair<std::string, double>> metrics;
  std::string note;
  /// Partitions of entact's store in this run (1 for every row but the
  /// extra ones --partitions adds, named by `partitioned`).
  size_t partitions = 1;
};

/// The name of `system`'s row with `n` partitions: `system` itself for 1
/// (today's rows), "entact, 2 partitions" for 2.
std::string partitioned(const std::string& system, size_t n);

/// A goal, reported as met or missed; never a failure.
struct target {
  std::string workload;
  std::string text;
  double value = 0;
  double goal = 0;
  bool higher_is_better = true;
  bool pending = false;
  std::string unit;

  bool met() const {
    return !pending && (higher_is_better ? value >= goal : value <= goal);
  }
};

/// A correctness check: the only thing that fails a run.
struct check {
  std::string name;
  bool ok = false;
  std::string detail;
};

struct workload_info {
  std::string id;
  std::string title;
};

struct report {
  std::vector<workload_info> workloads;
  std::vector<row> rows;
  std::vector<target> targets;
  std::vector<check> checks;

  /// Records workload `id` and prints its heading.
  void begin(const std::string& id, const std::string& title);

  row& add(row x);

  /// Records a check and prints its verdict at once, where it happened.
  void verify(const std::string& name, bool ok, const std::string& detail);

  /// Checks that `runs` saw no unexpected error, naming the first of each.
  void verify_no_errors(const std::string& name,
                        std::initializer_list<run_result> runs);

  /// The entact row of `w` the others are compared to, or null.
  const row* primary(const std::string& w) const;

  /// The row of `system` in `w`, or null.
  const row* find(const std::string& w, const std::string& system) const;

  /// The first metric `name` of any one-partition row of `w`, 0 if none.
  double metric(const std::string& w, const std::string& name) const;
};

} // namespace bench
