#include "harness/options.hpp"

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <set>
#include <vector>

#include <caf/actor_system_config.hpp>

namespace bench {

namespace {

/// Only parses: every system under test builds its own engine.
class options : public caf::actor_system_config {
public:
  config cfg;
  std::vector<std::string> only;
  std::vector<std::string> systems;
  std::vector<size_t> partitions;
  double seconds;
  double warmup;
  bool w3_no_sync = false;

  /// With `smoke`, the sizes --smoke stands for are the defaults.
  explicit options(bool smoke) {
    if (smoke) {
      cfg.entities = 2000;
      cfg.timing.warmup = std::chrono::duration<double>{0.1};
      cfg.timing.measure = std::chrono::duration<double>{0.3};
      cfg.w5_resident = 5000;
      cfg.w5_touch = 20000;
      cfg.w5_cap = 2000;
      cfg.w6_seconds = 0.5;
      cfg.w3_accounts = 500;
      cfg.w7_entities = 500;
      cfg.w8_entities = 200;
      cfg.w9_accounts = 300;
    }
    partitions = cfg.partitions;
    seconds = cfg.timing.measure.count();
    warmup = cfg.timing.warmup.count();
    opt_group{custom_options_, "global"}
      .add(cfg.smoke, "smoke",
           "tiny sizes and short runs (CI; the smoke defaults below), "
           "correctness still checked")
      .add(cfg.json_path, "json", "also write the results as JSON")
      .add(only, "only", "run only these workloads, of W1,...,W6,W6b,W7,W8,W9 [all]")
      .add(cfg.entact_only, "entact-only", "skip the baselines (profiling)")
      .add(systems, "systems",
           "run only these systems in W1/W2/W3/W4: entact, entact-async, "
           "entact-optimistic (W3), entact-modify (W4), store, raw-1, "
           "raw-N (N = clients), "
           "raw-pess, locked-map")
      .add(cfg.dir, "dir",
           "parent of the temporary RocksDB directories, for all systems "
           "[$TMPDIR or /tmp]")
      .add(cfg.commit, "commit", "recorded in the JSON")
      .add(cfg.clients, "clients", "concurrent clients [64]")
      .add(cfg.entities, "entities", "entities of W1/W2/W6 [100000; smoke "
                                     "2000]")
      .add(partitions, "partitions",
           "partition counts of entact's store for the entact rows of W1, "
           "W2, W3 and W6, with 1 (today's rows); each other count adds "
           "rows on a fresh directory [1,2]")
      .add(cfg.cold, "cold",
           "do not make them resident (untimed gets) first: the timed run "
           "then includes actor activation")
      .add(cfg.value_bytes, "value-bytes", "value size [100]")
      .add(seconds, "seconds", "measured seconds per run [4; smoke 0.3]")
      .add(warmup, "warmup",
           "unmeasured seconds before each run [0.5; smoke 0.1]")
      .add(cfg.w5_resident, "w5-resident",
           "W5: entities made resident at once [200000; smoke 5000] (the "
           "issue's 1000000 works but the engine's close then takes "
           "minutes, see README)")
      .add(cfg.w5_touch, "w5-touch",
           "W5: entities touched with a resident cap [1000000; smoke 20000]")
      .add(cfg.w5_cap, "w5-cap", "W5: that resident cap [100000; smoke 2000]")
      .add(cfg.w5_threads, "w5-threads",
           "W5: client threads activating entities [8]")
      .add(cfg.w6_rate, "w6-rate",
           "W6: offered updates/s [0: half of W1's peak]")
      .add(cfg.w6_seconds, "w6-seconds", "W6: measured seconds [5; smoke 0.5]")
      .add(cfg.w3_clients, "w3-clients",
           "W3: concurrent transferring clients [32]")
      .add(cfg.w3_accounts, "w3-accounts", "W3: accounts [10000; smoke 500]")
      .add(w3_no_sync, "w3-no-sync",
           "W3: sync off for every system (diagnostic)")
      .add(cfg.w7_entities, "w7-entities", "W7: entities [10000; smoke 500]")
      .add(cfg.w7_in_flight, "w7-in-flight",
           "W7: pipelined apply_async calls in flight [64]")
      .add(cfg.w8_entities, "w8-entities", "W8: entities [2000; smoke 200]")
      .add(cfg.w8_clients, "w8-clients",
           "W8: threads making blocking updates [16]")
      .add(cfg.w9_accounts, "w9-accounts", "W9: accounts [1000; smoke 300]")
      .add(cfg.w9_clients, "w9-clients",
           "W9: threads making blocking transfers [16]");
  }
};

[[noreturn]] void bad_usage(const std::string& what) {
  std::cerr << "entact_bench: " << what << " (see --help)" << std::endl;
  std::exit(64);
}

// The store's own bound (storage's partition_layout.hpp, not public); a
// list longer than this has repeats.
constexpr size_t bench_max_partitions = 64;

/// --partitions, ascending and without repeats; bad usage unless every
/// count is in [1, 64] and 1 is among them (its rows are the ones the
/// baselines and targets compare, and the others' ratios refer to).
std::vector<size_t> checked_partitions(std::vector<size_t> counts) {
  if (counts.size() > bench_max_partitions)
    bad_usage("--partitions: at most " + std::to_string(bench_max_partitions)
              + " counts");
  std::sort(counts.begin(), counts.end());
  counts.erase(std::unique(counts.begin(), counts.end()), counts.end());
  if (!counts.empty() && counts.front() == 0)
    bad_usage("--partitions: a count must be >= 1");
  if (counts.empty() || counts.front() != 1)
    bad_usage("--partitions: the list must include 1, as in "
              "--partitions=1,2,4");
  if (counts.back() > bench_max_partitions)
    bad_usage("--partitions: a store has at most "
              + std::to_string(bench_max_partitions) + " partitions");
  return counts;
}

} // namespace

config parse_options(int argc, char** argv) {
  auto parse_into = [&](options& opts) {
    if (auto err = opts.parse(argc, argv))
      bad_usage(to_string(err)
                + (err == caf::pec::missing_argument
                     ? "; an option takes its value after '=', as in "
                       "--clients=32"
                     : ""));
    if (opts.cli_helptext_printed)
      std::exit(0);
    if (!opts.remainder.empty())
      bad_usage("unexpected argument " + opts.remainder.front());
  };
  options plain{false};
  parse_into(plain);
  // --smoke changes the defaults: parse again on those, so explicit sizes
  // win wherever they stand.
  options smoke{true};
  if (plain.cfg.smoke)
    parse_into(smoke);
  auto& opts = plain.cfg.smoke ? smoke : plain;
  auto cfg = opts.cfg;
  cfg.only.insert(opts.only.begin(), opts.only.end());
  cfg.systems.insert(opts.systems.begin(), opts.systems.end());
  cfg.timing.measure = std::chrono::duration<double>{opts.seconds};
  cfg.timing.warmup = std::chrono::duration<double>{opts.warmup};
  cfg.w3_sync = !opts.w3_no_sync;
  if (cfg.dir.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    cfg.dir = tmp && *tmp ? tmp : "/tmp";
  }
  // What CAF cannot check.
  const std::set<std::string> workloads{"W1", "W2", "W3", "W4", "W5",
                                        "W6", "W6b", "W7", "W8", "W9"};
  for (const auto& w : cfg.only)
    if (workloads.count(w) == 0)
      bad_usage("--only: no workload " + w + " (W1 to W9, W6b)");
  const std::set<std::string> known{"entact", "entact-async",
                                    "entact-optimistic", "entact-modify",
                                    "store", "raw-1",
                                    "raw-" + std::to_string(cfg.clients),
                                    "raw-pess", "locked-map"};
  for (const auto& x : cfg.systems)
    if (known.count(x) == 0)
      bad_usage("--systems: no system " + x);
  if (cfg.clients == 0 || cfg.entities < 2 || cfg.w5_cap == 0
      || cfg.w5_threads == 0 || cfg.w3_clients == 0 || cfg.w3_accounts < 2
      || cfg.w7_entities == 0 || cfg.w7_in_flight == 0
      || cfg.w8_entities == 0 || cfg.w8_clients == 0
      || cfg.w9_accounts < 6 || cfg.w9_clients == 0)
    bad_usage("sizes must be positive (entities, accounts >= 2)");
  if (!(opts.seconds > 0 && opts.warmup >= 0 && cfg.w6_seconds > 0
        && cfg.w6_rate >= 0))
    bad_usage("--seconds and --w6-seconds must be > 0, --warmup and "
              "--w6-rate >= 0");
  cfg.partitions = checked_partitions(opts.partitions);
  return cfg;
}

} // namespace bench
