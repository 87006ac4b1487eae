#pragma once

// What one invocation of entact_bench does: the settings every workload
// reads. options.cpp fills them from the command line.

#include <cstddef>
#include <set>
#include <string>
#include <vector>

#include "systems/drivers.hpp"

namespace bench {

/// The settings of a run. The defaults here are a full run's; --smoke's
/// smaller ones are set where the options are declared (options.cpp).
struct config {
  bool smoke = false;
  std::string json_path;
  std::string dir;
  std::string commit;
  std::set<std::string> only;
  bool entact_only = false;
  bool cold = false; // skip making entities resident before timed runs
  size_t clients = 64;
  size_t entities = 100000;
  size_t value_bytes = 100;
  /// Partition counts of entact's store the entact rows of W1, W2, W3 and
  /// W6 run with, ascending, 1 first: 1 gives today's rows (the ones the
  /// baselines, the targets and HISTORY compare), each other count adds
  /// rows of its own ("entact, 2 partitions") on a fresh directory.
  std::vector<size_t> partitions{1, 2};
  run_timing timing;
  size_t w5_resident = 200000;
  size_t w5_touch = 1000000;
  size_t w5_cap = 100000;
  size_t w5_threads = 8;
  double w6_rate = 0; // 0: half of W1's peak
  double w6_seconds = 5;
  size_t w3_clients = 32;
  size_t w3_accounts = 10000;
  bool w3_sync = true;
  size_t w7_entities = 10000;
  size_t w7_in_flight = 64;
  size_t w8_entities = 2000;
  size_t w8_clients = 16;
  size_t w9_accounts = 1000;
  size_t w9_clients = 16;

  std::set<std::string> systems;

  /// Whether workload `w` ("W1".."W9") is to run.
  bool wants(const std::string& w) const {
    return only.empty() || only.count(w) > 0;
  }

  /// Whether `system` is to run. Systems: entact, entact-async,
  /// entact-optimistic, entact-modify, store, raw-1, raw-N, raw-pess,
  /// locked-map.
  bool runs(const std::string& system) const {
    if (!systems.empty())
      return systems.count(system) > 0;
    return !entact_only || system == "entact" || system == "entact-async"
           || system == "entact-optimistic" || system == "entact-modify"
           || system == "store";
  }
};

} // namespace bench
