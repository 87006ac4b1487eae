#include "harness/results_json.hpp"

#include <filesystem>
#include <fstream>
#include <vector>

namespace bench {

namespace {

std::string machine_object(const machine_info& m) {
  json machine;
  machine.str("date", m.date)
    .num("cores", m.cores)
    .str("cpu", m.cpu)
    .str("kernel", m.kernel)
    .str("loadavg_start", m.load_start)
    .str("loadavg_end", m.load_end)
    .str("rocksdb", m.rocksdb)
    .str("caf", m.caf)
    .str("compiler", m.compiler)
    .boolean("bench_assertions", m.assertions_in_bench);
  return machine.object();
}

std::string partitions_array(const config& cfg) {
  std::vector<std::string> counts;
  for (auto n : cfg.partitions)
    counts.push_back(json::number(static_cast<double>(n)));
  return json::array(counts);
}

std::string config_object(const config& cfg) {
  json conf;
  conf.boolean("smoke", cfg.smoke)
    .str("commit", cfg.commit)
    .str("dir", cfg.dir)
    .num("clients", static_cast<double>(cfg.clients))
    .num("entities", static_cast<double>(cfg.entities))
    .num("value_bytes", static_cast<double>(cfg.value_bytes))
    .field("partitions", partitions_array(cfg))
    .num("seconds", cfg.timing.measure.count())
    .num("warmup_seconds", cfg.timing.warmup.count())
    .num("w5_resident", static_cast<double>(cfg.w5_resident))
    .num("w5_touch", static_cast<double>(cfg.w5_touch))
    .num("w5_cap", static_cast<double>(cfg.w5_cap))
    .num("w6_seconds", cfg.w6_seconds)
    .num("w3_clients", static_cast<double>(cfg.w3_clients))
    .num("w3_accounts", static_cast<double>(cfg.w3_accounts))
    .boolean("w3_sync", cfg.w3_sync)
    .num("w7_entities", static_cast<double>(cfg.w7_entities))
    .num("w7_in_flight", static_cast<double>(cfg.w7_in_flight))
    .num("w8_entities", static_cast<double>(cfg.w8_entities))
    .num("w8_clients", static_cast<double>(cfg.w8_clients))
    .num("w9_accounts", static_cast<double>(cfg.w9_accounts))
    .num("w9_clients", static_cast<double>(cfg.w9_clients));
  return conf.object();
}

/// A JSON array with one object per item, filled by `fill(json&, item)`.
template <class T, class Fill>
std::string array_of(const std::vector<T>& items, Fill&& fill) {
  std::vector<std::string> objects;
  for (const auto& x : items) {
    json j;
    fill(j, x);
    objects.push_back(j.object());
  }
  return json::array(objects);
}

std::string workloads_array(const report& rep) {
  return array_of(rep.workloads, [](json& j, const workload_info& wi) {
    j.str("id", wi.id).str("title", wi.title);
  });
}

std::string rows_array(const report& rep) {
  return array_of(rep.rows, [&](json& j, const row& x) {
    j.str("workload", x.workload)
      .str("system", x.system)
      .boolean("entact", x.entact)
      .boolean("primary", x.primary)
      .num("partitions", static_cast<double>(x.partitions))
      .str("how", x.note)
      .num("ops_per_s", x.r.ops_per_s())
      .num("seconds", x.r.seconds)
      .num("ok", static_cast<double>(x.r.ok))
      .num("conflicts", static_cast<double>(x.r.conflicts))
      .num("gave_up", static_cast<double>(x.r.gave_up))
      .num("errors", static_cast<double>(x.r.errors))
      .num("attempts", static_cast<double>(x.r.attempts))
      .num("p50_us", x.r.lat.p50)
      .num("cpu_us_per_op", x.r.cpu_us_per_op())
      .num("p99_us", x.r.lat.p99)
      .num("p999_us", x.r.lat.p999)
      .num("max_us", x.r.lat.max);
    if (auto* p = rep.primary(x.workload);
        p && p != &x && x.r.ops_per_s() > 0)
      j.num("entact_over_this", p->r.ops_per_s() / x.r.ops_per_s());
    json metrics;
    for (const auto& [k, v] : x.metrics)
      metrics.num(k, v);
    j.field("metrics", metrics.object());
  });
}

std::string targets_array(const report& rep) {
  return array_of(rep.targets, [](json& j, const target& t) {
    j.str("workload", t.workload).str("target", t.text);
    if (t.pending) {
      j.str("status", "pending");
    } else {
      j.str("status", t.met() ? "met" : "missed")
        .num("value", t.value)
        .num("goal", t.goal)
        .str("unit", t.unit);
    }
  });
}

std::string checks_array(const report& rep) {
  return array_of(rep.checks, [](json& j, const check& c) {
    j.str("name", c.name).boolean("ok", c.ok).str("detail", c.detail);
  });
}

} // namespace

std::string to_json(const config& cfg, const report& rep,
                    const machine_info& m) {
  bool all_ok = true;
  for (const auto& c : rep.checks)
    all_ok = all_ok && c.ok;
  json top;
  top.field("machine", machine_object(m))
    .field("config", config_object(cfg))
    .field("workloads", workloads_array(rep))
    .field("results", rows_array(rep))
    .field("targets", targets_array(rep))
    .field("checks", checks_array(rep))
    .boolean("all_checks_passed", all_ok);
  return top.object() + "\n";
}

void write_json(const std::string& path, const config& cfg,
                const report& rep, const machine_info& m) {
  auto parent = std::filesystem::path{path}.parent_path();
  if (!parent.empty())
    std::filesystem::create_directories(parent);
  std::ofstream out{path};
  out << to_json(cfg, rep, m);
}

} // namespace bench
