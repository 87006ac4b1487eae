#include "workloads/w1_w2_updates.hpp"

#include <algorithm>
#include <iostream>
#include <stdexcept>

#include <entact/storage/store.hpp>

#include "systems/baseline_runs.hpp"
#include "systems/entact_setup.hpp"
#include "systems/store_group_path.hpp"
#include "harness/format.hpp"
#include "systems/versioned_updates.hpp"

namespace bench {

namespace {

/// One blocking client per thread: raw-N's peer.
void entact_blocking(const config& cfg, report& rep, const std::string& w,
                     const dataset& data, bool sync, size_t np) {
  auto n = cfg.clients;
  preloaded_engine eng{cfg, data, sync, {}, np};
  known_versions kv{data.size()};
  auto r = run_blocking_updates(*eng, data, kv, n, cfg.timing,
                                cfg.value_bytes);
  auto label = partitioned("entact blocking", np);
  print_run(label, r);
  rep.add({w, partitioned("entact", np), true, np == 1, r, {},
           std::to_string(n) + " threads, blocking update() at the "
                               "version each knows"})
    .partitions = np;
  verify_versions(rep, w + " " + label + ": no lost or invented update",
                  data, kv, r.ok_total, *eng);
  rep.verify_no_errors(w + " " + label + ": no errors", {r});
}

/// Chains of apply_async, no client threads.
void entact_async(const config& cfg, report& rep, const std::string& w,
                  const dataset& data, bool sync, size_t np) {
  auto n = cfg.clients;
  preloaded_engine eng{cfg, data, sync, {}, np};
  known_versions kv{data.size()};
  auto r = run_pipelined(*eng, data, kv, n, cfg.timing, cfg.value_bytes);
  auto label = partitioned("entact async", np);
  print_run(label, r);
  rep.add({w, label, true, false, r, {},
           std::to_string(n) + " apply_async chains (" + std::to_string(n)
             + " in flight), issued from the callbacks"})
    .partitions = np;
  verify_versions(rep, w + " " + label + ": no lost or invented update", data,
                  kv, r.ok_total, *eng);
  rep.verify_no_errors(w + " " + label + ": no errors", {r});
}

/// The storage layer alone, so that what the actors cost shows.
void store_only(const config& cfg, report& rep, const std::string& w,
                const dataset& data, bool sync, size_t np) {
  auto n = cfg.clients;
  temp_dir dir{cfg.dir, "entact-bench"};
  preload_entact(dir.path() + "/db", data, {}, np);
  entact::storage::store_options opts;
  opts.path = dir.path() + "/db";
  opts.sync = sync;
  opts.partitions = np;
  auto st = entact::storage::store::open(opts);
  if (!st)
    throw std::runtime_error("store open: " + caf::to_string(st.error()));
  auto& store = **st;
  known_versions kv{data.size()};
  auto before = store.stats();
  auto r = run_closed(n, cfg.timing, [&](slot& s) {
    auto k = data.pick(s.rng);
    auto res = store.commit({entact::write_op::update(
      data.ids[k], kv.get(k), make_value(cfg.value_bytes, s.ok_total))});
    if (res) {
      kv.learn(k, res->front().version);
      return outcome::ok;
    }
    return judge(std::move(res.error()), kv, k, s);
  });
  auto after = store.stats();
  double groups = static_cast<double>(after.groups - before.groups);
  double batches = static_cast<double>(after.batches_committed
                                       - before.batches_committed);
  double committer_us = static_cast<double>(after.committer_cpu_ns
                                            - before.committer_cpu_ns)
                        / 1e3 / std::max(batches, 1.0);
  double writer_us = static_cast<double>(after.writer_cpu_ns
                                        - before.writer_cpu_ns)
                     / 1e3 / std::max(batches, 1.0);
  double read_share = static_cast<double>(after.ids_read - before.ids_read)
                      / std::max(1.0, static_cast<double>(
                                        after.ids_read - before.ids_read
                                        + after.ids_known - before.ids_known));
  auto label = partitioned("entact store only", np);
  print_run(label, r);
  std::cout << "    store: " << fmt(groups, 0) << " group commits, "
            << fmt(batches / std::max(groups, 1.0), 1)
            << " batches per group, committer CPU " << fmt(committer_us, 2)
            << " us per write (deciding " << fmt(committer_us - writer_us, 2)
            << ", writing and answering " << fmt(writer_us, 2) << "), "
            << fmt(100 * read_share, 1)
            << "% of ids read from RocksDB (the rest known)" << std::endl;
  auto path = measure_store_group_path(cfg, data, sync, np);
  rep.verify(w + " " + partitioned("store group path", np)
               + ": every write committed",
             path.failed == 0, std::to_string(path.failed) + " failed");
  rep.add({w,
           label,
           true,
           false,
           r,
           {{"group_commits", groups},
            {"batches_per_group", batches / std::max(groups, 1.0)},
            {"committer_cpu_us_per_write", committer_us},
            {"writer_cpu_us_per_write", writer_us},
            {"group_path_cpu_us_per_write_read", path.us_per_write_read},
            {"group_path_cpu_us_per_write_known", path.us_per_write_known},
            {"ids_read_share", read_share}},
           std::to_string(n)
             + " threads calling storage::store::commit directly (no "
               "actors): diagnostic"})
    .partitions = np;
  verify_versions_with(rep,
                       w + " " + partitioned("store only", np)
                         + ": no lost or invented update",
                       data, kv, r.ok_total, [&](const std::string& id) {
                         auto x = store.read(id);
                         return x ? x->version : 0;
                       });
}

} // namespace

void run_updates(const config& cfg, report& rep, const std::string& w,
                 bool sync) {
  auto n = cfg.clients;
  rep.begin(w, std::string{sync ? "durable (sync on)"
                                : "not durable (sync off)"}
                 + ": " + std::to_string(n) + " clients, "
                 + std::to_string(cfg.entities)
                 + " entities, uniform keys, versioned updates of "
                 + std::to_string(cfg.value_bytes) + " B values"
                 + (cfg.cold ? ", entact cold (activation timed)"
                             : ", entact entities resident before timing"));
  dataset data(w == "W1" ? "w1" : "w2", cfg.entities, cfg.value_bytes);
  // One partition first, beside the baselines as always; the other counts
  // after them, so those rows run in the same order as before they came.
  auto entact_rows = [&](size_t np) {
    if (cfg.runs("entact"))
      entact_blocking(cfg, rep, w, data, sync, np);
    if (cfg.runs("entact-async"))
      entact_async(cfg, rep, w, data, sync, np);
    if (cfg.runs("store"))
      store_only(cfg, rep, w, data, sync, np);
  };
  if (cfg.partitions.front() == 1)
    entact_rows(1);
  auto raw = [&](size_t threads, const std::string& name) {
    if (cfg.runs(name))
      run_raw_updates(cfg, rep,
                      {w, name, threads,
                       std::to_string(threads)
                         + (threads == 1 ? " thread" : " threads")
                         + ", OptimisticTransactionDB GetForUpdate+Put+"
                           "Commit per update"},
                      data, sync);
  };
  raw(1, "raw-1");
  raw(n, "raw-" + std::to_string(n));
  if (cfg.runs("raw-pess")) // two-key transactions (W3's baseline)
    run_raw_pess(cfg, rep,
                 {w, "raw-pess", n,
                  std::to_string(n)
                    + " threads, TransactionDB: lock 2 keys, read, write "
                      "both, commit (figures are transactions; for W3)"},
                 data, sync);
  if (cfg.runs("locked-map")) // the classic pattern
    run_locked_map_updates(cfg, rep,
                           {w, "locked-map", n,
                            std::to_string(n)
                              + " threads, shared_mutex + unordered_map, "
                                "DB::Put under the exclusive lock"},
                           data, sync);
  for (auto np : cfg.partitions)
    if (np > 1)
      entact_rows(np);
}

} // namespace bench
