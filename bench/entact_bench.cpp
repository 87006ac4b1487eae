// entact_bench: entact against raw RocksDB and a lock-based baseline, on the
// same machine, the same librocksdb and the same filesystem, in one run.
//
//   entact_bench [--smoke] [--json=FILE] [--only=W1,W2,...]
//                [--partitions=1,2,4] [--help]
//
// Prints one table per workload (each entact figure beside its baselines
// and as a ratio), then the targets and the correctness checks; writes the
// same as JSON. Targets are goals, never failures; the exit status is
// non-zero only when a correctness check fails (lost or invented updates,
// unexpected errors).
//
// Each workload is in its own file, named by its id (w1_w2_updates.cpp,
// w3_transfers.cpp, ... w7_remote.cpp); what they share is beside them:
// the drivers, entact's setup, the baselines and their runs, the report,
// its table and its JSON.

#include <algorithm>
#include <exception>
#include <iostream>

#include "harness/machine.hpp"
#include "harness/options.hpp"
#include "harness/partition_ratios.hpp"
#include "harness/report.hpp"
#include "harness/results_json.hpp"
#include "harness/table.hpp"
#include "harness/targets.hpp"
#include "workloads/w1_w2_updates.hpp"
#include "workloads/w3_transfers.hpp"
#include "workloads/w4_hot_entity.hpp"
#include "workloads/w5_memory.hpp"
#include "workloads/w6_latency.hpp"
#include "workloads/w7_remote.hpp"
#include "workloads/w8_cluster.hpp"
#include "workloads/w9_cross_node.hpp"

namespace bench {
namespace {

int run(int argc, char** argv) {
  auto cfg = parse_options(argc, argv);
  auto machine = describe_machine();
  std::cout << "entact_bench " << (cfg.smoke ? "(smoke) " : "") << "on "
            << machine.cores << " cores, load " << machine.load_start
            << ", directories under " << cfg.dir << std::endl;
  if (machine.assertions_in_bench)
    std::cout << "warning: the bench itself is built without NDEBUG"
              << std::endl;
  report rep;
  // W5 first: it measures RSS, best done in a fresh process.
  if (cfg.wants("W5"))
    run_memory(cfg, rep);
  if (cfg.wants("W1"))
    run_updates(cfg, rep, "W1", true);
  if (cfg.wants("W2"))
    run_updates(cfg, rep, "W2", false);
  if (cfg.wants("W3"))
    run_transfers(cfg, rep);
  if (cfg.wants("W4"))
    run_hot(cfg, rep);
  // W6 after W1: it offers half of W1's peak.
  if (cfg.wants("W6"))
    run_latency(cfg, rep);
  if (cfg.wants("W6b"))
    run_latency(cfg, rep, true);
  if (cfg.wants("W7"))
    run_remote(cfg, rep);
  if (cfg.wants("W8"))
    run_cluster(cfg, rep);
  if (cfg.wants("W9"))
    run_cross_node(cfg, rep);
  machine.load_end = load_average();
  // Present workloads in their natural order.
  std::stable_sort(rep.workloads.begin(), rep.workloads.end(),
                   [](const auto& a, const auto& b) { return a.id < b.id; });
  add_partition_ratios(cfg, rep);
  add_targets(cfg, rep);
  print_table(cfg, rep, machine);
  if (!cfg.json_path.empty()) {
    write_json(cfg.json_path, cfg, rep, machine);
    std::cout << "\nJSON written to " << cfg.json_path << "\n";
  }
  for (const auto& c : rep.checks)
    if (!c.ok)
      return 1;
  return 0;
}

} // namespace
} // namespace bench

int main(int argc, char** argv) {
  try {
    return bench::run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "entact_bench: " << e.what() << std::endl;
    return 1;
  }
}
