#include "harness/table.hpp"

#include <algorithm>
#include <cstdio>
#include <iostream>

#include "harness/format.hpp"
#include "harness/partition_ratios.hpp"

namespace bench {

namespace {

// The heading and every row share one layout, so the columns line up; the
// first column is as wide as the workload's longest system name.
constexpr const char* row_format
  = "  %-*s %9s %8s %7s %7s %8s %9s %6s %6s %7s  %s\n";

/// W5 measures memory, not operations: its rows are lists of metrics.
void print_metrics(const report& rep, const std::string& w) {
  for (const auto& x : rep.rows)
    if (x.workload == w) {
      std::cout << "  " << x.system << ":";
      for (const auto& [k, v] : x.metrics)
        std::cout << " " << k << "="
                  << (k.find("bytes") != std::string::npos
                        ? fmt_bytes(v)
                        : fmt(v, v < 10 ? 2 : 0));
      std::cout << "\n";
    }
}

std::string cpu_per_op(const run_result& r) {
  return r.cpu_seconds > 0 ? fmt(r.cpu_us_per_op(), 1) : "";
}

int system_width(const report& rep, const std::string& w) {
  size_t width = 18;
  for (const auto& x : rep.rows)
    if (x.workload == w)
      width = std::max(width, x.system.size());
  return static_cast<int>(width);
}

void print_runs(const report& rep, const std::string& w) {
  auto* p = rep.primary(w);
  auto width = system_width(rep, w);
  char buf[1024];
  std::snprintf(buf, sizeof(buf), row_format, width, "system", "ops/s",
                "entact/x",
                "p50 ms", "p99 ms", "p99.9 ms", "conflicts", "errors",
                "/group", "cpu us", "how");
  std::cout << buf;
  for (const auto& x : rep.rows) {
    if (x.workload != w)
      continue;
    std::string ratio = "";
    if (p && &x != p && x.r.ops_per_s() > 0)
      ratio = fmt(p->r.ops_per_s() / x.r.ops_per_s(), 2) + "x";
    std::string conflicts = std::to_string(x.r.conflicts);
    if (w == "W4") {
      double a = static_cast<double>(x.r.attempts);
      conflicts = fmt(a > 0 ? 100.0 * x.r.conflicts / a : 0, 1) + "%";
    }
    std::string per_group;
    for (const auto& [k, v] : x.metrics)
      if (k == "batches_per_group")
        per_group = fmt(v, 1);
    std::snprintf(buf, sizeof(buf), row_format, width, x.system.c_str(),
                  fmt_rate(x.r.ops_per_s()).c_str(), ratio.c_str(),
                  fmt_ms(x.r.lat.p50).c_str(), fmt_ms(x.r.lat.p99).c_str(),
                  fmt_ms(x.r.lat.p999).c_str(), conflicts.c_str(),
                  std::to_string(x.r.errors).c_str(), per_group.c_str(),
                  cpu_per_op(x.r).c_str(), x.note.c_str());
    std::cout << buf;
    if (auto line = partition_summary(x); !line.empty())
      std::cout << "  " << std::string(static_cast<size_t>(width), ' ')
                << " ^ " << line << "\n";
  }
  if (w == "W4")
    std::cout << "  (W4: ops/s is goodput, committed increments; conflicts "
                 "is the share of attempts that conflicted)\n";
  else
    std::cout << "  (/group: writes per group commit, entact's store or "
                 "RocksDB's own write group)\n";
  if (std::any_of(rep.rows.begin(), rep.rows.end(), [&](const row& x) {
        return x.workload == w && x.partitions > 1;
      }))
    std::cout << "  (^: a row with N partitions over the baselines its "
                 "1-partition row is held to, and over that row)\n";
  std::cout << "  (cpu us: CPU time of this process, all its threads, per "
               "successful op in the window; a remote row counts the client "
               "side only)\n";
}

void print_targets(const report& rep) {
  std::cout << "\nTargets (goals, not assertions):\n";
  for (const auto& t : rep.targets) {
    std::cout << "  " << t.workload << "  ";
    if (t.pending) {
      std::cout << "PENDING  " << t.text << "\n";
      continue;
    }
    std::cout << (t.met() ? "met     " : "MISSED  ") << t.text << ": ";
    if (t.unit == "B")
      std::cout << fmt_bytes(t.value);
    else
      std::cout << fmt(t.value, 2) << t.unit;
    std::cout << "\n";
  }
}

void print_checks(const report& rep) {
  size_t failed = 0;
  for (const auto& c : rep.checks)
    failed += !c.ok;
  std::cout << "\nCorrectness checks: " << rep.checks.size() - failed << "/"
            << rep.checks.size() << " passed\n";
  for (const auto& c : rep.checks)
    if (!c.ok)
      std::cout << "  FAILED " << c.name << ": " << c.detail << "\n";
}

} // namespace

void print_table(const config& cfg, const report& rep, const machine_info& m) {
  std::cout << "\n\nentact benchmark, " << m.date << ", " << m.cores
            << " cores (" << m.cpu << "), " << m.kernel << "\nRocksDB "
            << m.rocksdb << ", CAF " << m.caf << ", " << m.compiler
            << "; load average at start " << m.load_start << ", at end "
            << m.load_end << "\nRocksDB directories under " << cfg.dir
            << "; " << fmt(cfg.timing.measure.count(), 1) << " s measured after "
            << fmt(cfg.timing.warmup.count(), 1) << " s warmup per run"
            << (cfg.smoke ? "; SMOKE sizes" : "") << "\n";
  for (const auto& wi : rep.workloads) {
    std::cout << "\n" << wi.id << " " << wi.title << "\n";
    if (wi.id == "W5")
      print_metrics(rep, wi.id);
    else
      print_runs(rep, wi.id);
  }
  print_targets(rep);
  print_checks(rep);
}

} // namespace bench
