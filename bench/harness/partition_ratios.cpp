#include "harness/partition_ratios.hpp"

#include "harness/format.hpp"

namespace bench {

namespace {

/// `x`'s row with one partition: the one-partition entact row of its
/// workload whose name `partitioned` turns into `x`'s.
const row* one_partition_row(const report& rep, const row& x) {
  for (const auto& y : rep.rows)
    if (y.workload == x.workload && y.entact && y.partitions == 1
        && partitioned(y.system, x.partitions) == x.system)
      return &y;
  return nullptr;
}

double metric_of(const row& x, const std::string& name) {
  for (const auto& [k, v] : x.metrics)
    if (k == name)
      return v;
  return 0;
}

void add_ratio(row& x, const std::string& name, double num, double den) {
  if (num > 0 && den > 0)
    x.metrics.emplace_back(name, num / den);
}

void add_ratios(const config& cfg, report& rep, row& x) {
  for (const auto& base : partition_baselines(cfg, x.workload))
    if (auto* b = rep.find(x.workload, base))
      add_ratio(x, "over_" + base, x.r.ops_per_s(), b->r.ops_per_s());
  auto* one = one_partition_row(rep, x);
  if (!one)
    return;
  if (x.workload == "W6") {
    add_ratio(x, "p99_over_1_partition", x.r.lat.p99, one->r.lat.p99);
    return;
  }
  add_ratio(x, "over_1_partition", x.r.ops_per_s(), one->r.ops_per_s());
  auto known = metric_of(x, "group_path_cpu_us_per_write_known");
  if (known <= 0)
    return;
  if (auto* raw1 = rep.find(x.workload, "raw-1"))
    add_ratio(x, "group_path_cpu_known_over_raw-1", known,
              raw1->r.cpu_us_per_op());
  add_ratio(x, "group_path_cpu_known_over_1_partition", known,
            metric_of(*one, "group_path_cpu_us_per_write_known"));
}

/// A ratio's key in words: "over_raw-64" -> "" and "raw-64";
/// "group_path_cpu_known_over_raw-1" -> "group path CPU per write (ids
/// known) " and "raw-1".
std::string peer_of(const std::string& key, std::string& what) {
  auto at = key.find("over_");
  what = key.substr(0, at);
  if (what == "group_path_cpu_known_")
    what = "group path CPU per write (ids known) ";
  else if (!what.empty())
    what.back() = ' ';
  auto peer = key.substr(at + 5);
  return peer == "1_partition" ? "1 partition" : peer;
}

} // namespace

std::vector<std::string> partition_baselines(const config& cfg,
                                             const std::string& w) {
  if (w == "W1")
    return {"raw-" + std::to_string(cfg.clients), "raw-1"};
  if (w == "W2")
    return {"raw-1"};
  if (w == "W3")
    return {"raw-pess"};
  return {};
}

void add_partition_ratios(const config& cfg, report& rep) {
  for (auto& x : rep.rows)
    if (x.partitions > 1 && x.entact)
      add_ratios(cfg, rep, x);
}

std::string partition_summary(const row& x) {
  if (x.partitions < 2)
    return "";
  std::string out;
  auto sep = [&] { return out.empty() ? "" : ", "; };
  for (const auto& [k, v] : x.metrics) {
    if (k == "spanning_share") {
      out += sep() + fmt(100 * v, 1) + "% of transfers spanning";
    } else if (k.find("over_") != std::string::npos) {
      // Only the ratios above have "over_" in their keys.
      std::string what;
      auto peer = peer_of(k, what);
      out += sep() + what + fmt(v, 2) + "x " + peer;
    }
  }
  return out;
}

} // namespace bench
