#include "systems/baseline_runs.hpp"

#include <algorithm>
#include <iostream>
#include <utility>
#include <vector>

#include "systems/drivers.hpp"
#include "harness/format.hpp"

namespace bench {

namespace {

/// RocksDB's group commit during a baseline run (commits include the
/// conflicting ones' no-op writes: none, they roll back).
std::vector<std::pair<std::string, double>>
group_metrics(const write_counters& before, const write_counters& after) {
  double writes = after.writes - before.writes;
  double groups = after.groups - before.groups;
  double syncs = after.syncs - before.syncs;
  std::cout << "    rocksdb: " << fmt(groups, 0) << " commit groups, "
            << fmt(writes / std::max(groups, 1.0), 1)
            << " writes per group, " << fmt(syncs, 0) << " WAL syncs"
            << std::endl;
  return {{"group_commits", groups},
          {"batches_per_group", writes / std::max(groups, 1.0)},
          {"wal_syncs", syncs}};
}

/// `op(db, slot)` in a closed loop on a fresh, preloaded `DB`.
template <class DB, class Op>
run_result run_baseline(const config& cfg, report& rep,
                        const baseline_row& how, const dataset& data,
                        bool sync, Op&& op) {
  temp_dir dir{cfg.dir, "raw-bench"};
  DB db{dir.path() + "/db", sync};
  db.preload(data);
  auto before = db.counters();
  auto r = run_closed(how.threads, cfg.timing,
                      [&](slot& s) { return op(db, s); });
  print_run(how.system, r);
  auto m = group_metrics(before, db.counters());
  rep.add({how.workload, how.system, false, false, r, m, how.note});
  return r;
}

/// Both update baselines share one signature, so one loop serves them.
template <class DB>
run_result run_updates_on(const config& cfg, report& rep,
                          const baseline_row& how, const dataset& data,
                          bool sync) {
  known_versions kv{data.size()};
  return run_baseline<DB>(cfg, rep, how, data, sync, [&](DB& db, slot& s) {
    auto k = data.pick(s.rng);
    uint64_t seen = 0;
    auto o = db.update(data, k, kv.get(k),
                       make_value(data.value_bytes, s.ok_total), seen,
                       s.first_error);
    kv.learn(k, seen);
    return o;
  });
}

} // namespace

run_result run_raw_updates(const config& cfg, report& rep,
                           const baseline_row& how, const dataset& data,
                           bool sync) {
  return run_updates_on<raw_optimistic>(cfg, rep, how, data, sync);
}

run_result run_locked_map_updates(const config& cfg, report& rep,
                                  const baseline_row& how,
                                  const dataset& data, bool sync) {
  return run_updates_on<locked_map>(cfg, rep, how, data, sync);
}

run_result run_raw_pess(const config& cfg, report& rep,
                        const baseline_row& how, const dataset& data,
                        bool sync) {
  return run_baseline<raw_pessimistic>(
    cfg, rep, how, data, sync, [&](raw_pessimistic& db, slot& s) {
      return db.two_key_update(data, s.rng, s.ok_total, s.first_error);
    });
}

} // namespace bench
