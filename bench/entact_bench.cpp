// entact_bench: entact against raw RocksDB and a lock-based baseline, on the
// same machine, the same librocksdb and the same filesystem, in one run.
//
//   entact_bench [--smoke] [--json=FILE] [--only=W1,W2,...] [--help]
//
// Prints one table per workload (each entact figure beside its baselines
// and as a ratio), then the targets and the correctness checks; writes the
// same as JSON. Targets are goals, never failures; the exit status is
// non-zero only when a correctness check fails (lost or invented updates,
// unexpected errors).

#include <atomic>
#include <condition_variable>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <entact/client.hpp>
#include <entact/engine.hpp>
#include <entact/errc.hpp>
#include <entact/resolve.hpp>
#include <entact/storage/store.hpp>

#include "baselines.hpp"
#include "config.hpp"
#include "drivers.hpp"
#include "format.hpp"
#include "machine.hpp"
#include "options.hpp"
#include "report.hpp"
#include "results_json.hpp"
#include "server_child.hpp"
#include "table.hpp"
#include "targets.hpp"
#include "util.hpp"

namespace bench {
namespace {

// -- entact helpers -----------------------------------------------------------

/// Writes version 1 of every entity through entact's own store (unsynced,
/// large batches; not timed), then closes it.
void preload_entact(const std::string& path, const dataset& data,
                    const std::function<std::string(size_t)>& value_of = {}) {
  auto st = entact::storage::store::open({path, false, 4096, {}});
  if (!st)
    throw std::runtime_error("store open: " + caf::to_string(st.error()));
  std::vector<entact::write_op> batch;
  for (size_t i = 0; i < data.size(); ++i) {
    batch.push_back(entact::write_op::create(
      data.ids[i], value_of ? value_of(i) : make_value(data.value_bytes, i)));
    if (batch.size() == 1000 || i + 1 == data.size()) {
      auto r = (*st)->commit(std::move(batch));
      if (!r)
        throw std::runtime_error("preload: " + caf::to_string(r.error()));
      batch.clear();
    }
  }
}

std::unique_ptr<entact::engine>
open_engine(const std::string& path, bool sync, size_t resident_cap = 100000,
            std::chrono::milliseconds idle = std::chrono::hours{1}) {
  entact::engine_options opts;
  opts.path = path;
  opts.sync = sync;
  opts.resident_cap = resident_cap;
  opts.idle_timeout = idle;
  auto eng = entact::engine::open(opts);
  if (!eng)
    throw std::runtime_error("engine open: " + caf::to_string(eng.error()));
  return std::move(*eng);
}

/// Makes every entity resident (its actor spawned, its record loaded) with
/// untimed get()s, so timed runs measure steady state, not activation.
void activate_all(entact::database& eng, const dataset& data, bool enabled) {
  if (!enabled)
    return;
  auto t0 = clock::now();
  std::atomic<size_t> bad{0};
  parallel_for(8, data.size(), [&](size_t i) {
    if (!eng.get(data.ids[i]))
      ++bad;
  });
  if (bad > 0)
    throw std::runtime_error("activation: " + std::to_string(bad.load())
                             + " gets failed");
  std::cout << "  (activated " << data.size() << " entities in "
            << fmt(seconds_since(t0), 1) << " s, untimed)" << std::endl;
}

/// Outcome of a versioned update, learning the version it reveals.
outcome judge(const caf::expected<entact::record>& r, known_versions& kv,
              size_t k, slot& s) {
  if (r) {
    kv.learn(k, r->version);
    return outcome::ok;
  }
  if (auto c = entact::conflict_of(r.error())) {
    kv.learn(k, c->stored.version);
    return outcome::conflict;
  }
  if (s.first_error.empty())
    s.first_error = caf::to_string(r.error());
  return outcome::error;
}

/// Every acknowledged update raised its entity's version by exactly one, so
/// the versions stored must add up to the successes seen by the clients,
/// and each must equal the newest version a client saw.
template <class ReadVersion>
void verify_versions(report& rep, const std::string& name, const dataset& data,
                     const known_versions& kv, uint64_t acknowledged,
                     ReadVersion&& read_version) {
  uint64_t sum = 0;
  size_t mismatches = 0;
  for (size_t k = 0; k < data.size(); ++k) {
    auto v = read_version(data.ids[k]);
    sum += v - 1;
    if (v != kv.get(k))
      ++mismatches;
  }
  rep.verify(name, sum == acknowledged && mismatches == 0,
             "acknowledged " + std::to_string(acknowledged)
               + ", stored version increments " + std::to_string(sum)
               + ", entities whose stored version differs from the newest "
                 "acknowledged "
               + std::to_string(mismatches));
}

// -- W1 / W2: versioned updates of uniform keys ----------------------------

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

/// Runs W1 (sync on) or W2 (sync off): entact from blocking threads and
/// from asynchronous chains, entact's store alone, and the baselines.
void run_updates(const config& cfg, report& rep, const std::string& w,
                 bool sync) {
  auto n = cfg.clients;
  rep.workloads.push_back(
    {w, std::string{sync ? "durable (sync on)" : "not durable (sync off)"}
          + ": " + std::to_string(n) + " clients, "
          + std::to_string(cfg.entities)
          + " entities, uniform keys, versioned updates of "
          + std::to_string(cfg.value_bytes) + " B values"
          + (cfg.cold ? ", entact cold (activation timed)"
                      : ", entact entities resident before timing")});
  std::cout << "\n== " << w << " " << rep.workloads.back().title << std::endl;
  dataset data(w == "W1" ? "w1" : "w2", cfg.entities, cfg.value_bytes);
  auto vb = cfg.value_bytes;

  if (cfg.runs("entact")) { // one blocking client per thread: raw-64's peer
    temp_dir dir{cfg.dir, "entact-bench"};
    preload_entact(dir.path() + "/db", data);
    auto eng = open_engine(dir.path() + "/db", sync);
    activate_all(*eng, data, !cfg.cold);
    known_versions kv{data.size()};
    auto r = run_closed(n, cfg.timing, [&](slot& s) {
      auto k = data.pick(s.rng);
      auto res = eng->update(data.ids[k], kv.get(k),
                             make_value(vb, s.ok_total));
      return judge(res, kv, k, s);
    });
    print_run("entact blocking", r);
    rep.add({w, "entact", true, true, r, {},
             std::to_string(n) + " threads, blocking update() at the "
                                 "version each knows"});
    verify_versions(rep, w + " entact blocking: no lost or invented update",
                    data, kv, r.ok_total, [&](const std::string& id) {
                      auto x = eng->read(id);
                      return x ? x->version : 0;
                    });
    rep.verify(w + " entact blocking: no errors", r.errors == 0,
               std::to_string(r.errors) + " errors " + r.first_error);
  }
  if (cfg.runs("entact-async")) { // chains of apply_async, no client threads
    temp_dir dir{cfg.dir, "entact-bench"};
    preload_entact(dir.path() + "/db", data);
    auto eng = open_engine(dir.path() + "/db", sync);
    activate_all(*eng, data, !cfg.cold);
    known_versions kv{data.size()};
    chain_runner chains{n, [&](slot& s, chain_runner::done_fn done) {
                          auto k = data.pick(s.rng);
                          eng->apply_async(
                            entact::write_op::update(data.ids[k], kv.get(k),
                                                     make_value(vb,
                                                                s.ok_total)),
                            [&kv, k, &s, done](caf::expected<entact::record> r) {
                              done(judge(r, kv, k, s));
                            });
                        }};
    auto r = chains.run(cfg.timing);
    print_run("entact async", r);
    rep.add({w, "entact async", true, false, r, {},
             std::to_string(n) + " apply_async chains (" + std::to_string(n)
               + " in flight), issued from the callbacks"});
    verify_versions(rep, w + " entact async: no lost or invented update",
                    data, kv, r.ok_total, [&](const std::string& id) {
                      auto x = eng->read(id);
                      return x ? x->version : 0;
                    });
    rep.verify(w + " entact async: no errors", r.errors == 0,
               std::to_string(r.errors) + " errors " + r.first_error);
  }
  if (cfg.runs("store")) { // the storage layer alone: the actors' cost shows
    temp_dir dir{cfg.dir, "entact-bench"};
    preload_entact(dir.path() + "/db", data);
    auto st = entact::storage::store::open({dir.path() + "/db", sync, 4096,
                                            {}});
    if (!st)
      throw std::runtime_error("store open: " + caf::to_string(st.error()));
    auto& store = **st;
    known_versions kv{data.size()};
    auto before = store.stats();
    auto r = run_closed(n, cfg.timing, [&](slot& s) {
      auto k = data.pick(s.rng);
      auto res = store.commit({entact::write_op::update(
        data.ids[k], kv.get(k), make_value(vb, s.ok_total))});
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
    print_run("entact store only", r);
    std::cout << "    store: " << fmt(groups, 0) << " group commits, "
              << fmt(batches / std::max(groups, 1.0), 1)
              << " batches per group" << std::endl;
    rep.add({w,
             "entact store only",
             true,
             false,
             r,
             {{"group_commits", groups},
              {"batches_per_group", batches / std::max(groups, 1.0)}},
             std::to_string(n)
               + " threads calling storage::store::commit directly (no "
                 "actors): diagnostic"});
    verify_versions(rep, w + " store only: no lost or invented update", data,
                    kv, r.ok_total, [&](const std::string& id) {
                      auto x = store.read(id);
                      return x ? x->version : 0;
                    });
  }
  auto raw = [&](size_t threads, const std::string& name) {
    if (!cfg.runs(name))
      return;
    temp_dir dir{cfg.dir, "raw-bench"};
    raw_optimistic db{dir.path() + "/db", sync};
    db.preload(data);
    known_versions kv{data.size()};
    auto before = db.counters();
    auto r = run_closed(threads, cfg.timing, [&](slot& s) {
      auto k = data.pick(s.rng);
      uint64_t seen = 0;
      auto o = db.update(data, k, kv.get(k), make_value(vb, s.ok_total), seen,
                         s.first_error);
      kv.learn(k, seen);
      return o;
    });
    print_run(name, r);
    auto m = group_metrics(before, db.counters());
    rep.add({w, name, false, false, r, m,
             std::to_string(threads)
               + (threads == 1 ? " thread" : " threads")
               + ", OptimisticTransactionDB GetForUpdate+Put+Commit per "
                 "update"});
  };
  raw(1, "raw-1");
  raw(n, "raw-" + std::to_string(n));
  if (cfg.runs("raw-pess")) { // two-key transactions (W3's baseline)
    temp_dir dir{cfg.dir, "raw-bench"};
    raw_pessimistic db{dir.path() + "/db", sync};
    db.preload(data);
    auto before = db.counters();
    auto r = run_closed(n, cfg.timing, [&](slot& s) {
      return db.two_key_update(data, s.rng, s.ok_total, s.first_error);
    });
    print_run("raw-pess", r);
    auto m = group_metrics(before, db.counters());
    rep.add({w, "raw-pess", false, false, r, m,
             std::to_string(n)
               + " threads, TransactionDB: lock 2 keys, read, write both, "
                 "commit (figures are transactions; for W3)"});
  }
  if (cfg.runs("locked-map")) { // the classic pattern
    temp_dir dir{cfg.dir, "raw-bench"};
    locked_map db{dir.path() + "/db", sync};
    db.preload(data);
    known_versions kv{data.size()};
    auto before = db.counters();
    auto r = run_closed(n, cfg.timing, [&](slot& s) {
      auto k = data.pick(s.rng);
      uint64_t seen = 0;
      auto o = db.update(data, k, kv.get(k), make_value(vb, s.ok_total), seen,
                         s.first_error);
      kv.learn(k, seen);
      return o;
    });
    print_run("locked-map", r);
    auto m = group_metrics(before, db.counters());
    rep.add({w, "locked-map", false, false, r, m,
             std::to_string(n)
               + " threads, shared_mutex + unordered_map, DB::Put under the "
                 "exclusive lock"});
  }
}

// -- W4: one hot entity -------------------------------------------------------

void run_hot(const config& cfg, report& rep) {
  auto n = cfg.clients;
  const std::string w = "W4";
  rep.workloads.push_back(
    {w, "one hot entity, " + std::to_string(n)
          + " clients doing optimistic read-modify-write with retry "
            "(sync on)"});
  std::cout << "\n== " << w << " " << rep.workloads.back().title << std::endl;
  const std::string id = "hot/counter";
  auto vb = cfg.value_bytes;
  entact::retry_policy policy; // the library's defaults
  auto note = "read_modify_write, retry_policy defaults ("
              + std::to_string(policy.max_attempts) + " attempts, backoff "
              + std::to_string(policy.initial_backoff.count()) + " us .. "
              + std::to_string(policy.max_backoff.count() / 1000) + " ms)";
  auto add_rates = [](row& x) {
    double attempts = static_cast<double>(x.r.attempts);
    x.metrics.push_back({"attempts", attempts});
    x.metrics.push_back(
      {"conflict_rate",
       attempts > 0 ? static_cast<double>(x.r.conflicts) / attempts : 0});
    x.metrics.push_back({"gave_up", static_cast<double>(x.r.gave_up)});
  };
  if (cfg.runs("entact")) {
    temp_dir dir{cfg.dir, "entact-bench"};
    auto eng = open_engine(dir.path() + "/db", true);
    if (!eng->create(id, counter_value(0, vb)))
      throw std::runtime_error("cannot create the hot entity");
    auto r = run_closed(n, cfg.timing, [&](slot& s) {
      entact::retry_stats st;
      auto res = entact::read_modify_write(
        *eng, id,
        [vb](const entact::record& cur) {
          auto v = cur.exists() ? parse_counter(cur.value) : 0;
          return std::optional<std::string>{counter_value(v + 1, vb)};
        },
        policy, &st);
      s.attempts += st.attempts;
      s.conflicts += st.conflicts;
      if (res)
        return outcome::ok;
      if (entact::is_conflict(res.error()))
        return outcome::gave_up;
      if (s.first_error.empty())
        s.first_error = caf::to_string(res.error());
      return outcome::error;
    });
    print_run("entact", r);
    auto& x = rep.add({w, "entact", true, true, r, {}, note});
    add_rates(x);
    auto stored = eng->read(id);
    auto counter = stored ? parse_counter(stored->value) : 0;
    auto version = stored ? stored->version : 0;
    rep.verify(w + " entact: final counter equals committed increments",
               counter == r.ok_total && version == r.ok_total + 1,
               "counter " + std::to_string(counter) + ", version "
                 + std::to_string(version) + ", committed increments "
                 + std::to_string(r.ok_total));
    rep.verify(w + " entact: no errors", r.errors == 0,
               std::to_string(r.errors) + " errors " + r.first_error);
  }
  if (cfg.runs("raw-" + std::to_string(n))) {
    temp_dir dir{cfg.dir, "raw-bench"};
    raw_optimistic db{dir.path() + "/db", true};
    db.preload_one(id, counter_value(0, vb));
    auto r = run_closed(
      n, cfg.timing, [&](slot& s) { return db.increment(id, policy, vb, s); });
    print_run("raw-" + std::to_string(n), r);
    auto& x = rep.add({w, "raw-" + std::to_string(n), false, false, r, {},
                       "OptimisticTransactionDB GetForUpdate+Put+Commit, "
                       "same retry policy"});
    add_rates(x);
    std::string value;
    db.read(id, &value);
    rep.verify(w + " raw: final counter equals committed increments",
               parse_counter(value) == r.ok_total,
               "counter " + std::to_string(parse_counter(value))
                 + ", committed " + std::to_string(r.ok_total));
  }
  if (cfg.runs("locked-map")) {
    temp_dir dir{cfg.dir, "raw-bench"};
    locked_map db{dir.path() + "/db", true};
    db.preload_one(id, counter_value(0, vb));
    auto r = run_closed(n, cfg.timing, [&](slot& s) {
      ++s.attempts;
      return db.increment(id, vb, s.first_error);
    });
    print_run("locked-map", r);
    auto& x = rep.add({w, "locked-map", false, false, r, {},
                       "increment under the exclusive lock (no conflicts "
                       "possible)"});
    add_rates(x);
    rep.verify(w + " locked-map: final counter equals committed increments",
               db.counter(id) == r.ok_total,
               "counter " + std::to_string(db.counter(id)) + ", committed "
                 + std::to_string(r.ok_total));
  }
}

// -- W5: memory ---------------------------------------------------------------

void run_memory(const config& cfg, report& rep) {
  const std::string w = "W5";
  rep.workloads.push_back(
    {w, "memory: RSS per resident entity at " + std::to_string(cfg.w5_resident)
          + " resident; RSS while touching " + std::to_string(cfg.w5_touch)
          + " entities with resident_cap " + std::to_string(cfg.w5_cap)});
  std::cout << "\n== " << w << " " << rep.workloads.back().title << std::endl;
  auto threads = cfg.w5_threads;
  { // (a) N resident entities, each holding its 100-byte record
    temp_dir dir{cfg.dir, "entact-bench"};
    dataset data("w5", cfg.w5_resident, cfg.value_bytes);
    auto t0 = clock::now();
    preload_entact(dir.path() + "/db", data);
    std::cout << "  preloaded " << data.size() << " entities in "
              << fmt(seconds_since(t0), 1) << " s" << std::endl;
    auto eng = open_engine(dir.path() + "/db", false, data.size() + 1000);
    // Read everything once straight from storage first, so RocksDB's
    // caches are as warm before as after and the delta is the actors'.
    parallel_for(threads, data.size(),
                 [&](size_t i) { (void) eng->read(data.ids[i]); });
    trim_heap();
    auto rss0 = rss_bytes();
    std::atomic<size_t> bad{0};
    t0 = clock::now();
    parallel_for(threads, data.size(), [&](size_t i) {
      auto r = eng->get(data.ids[i]);
      if (!r || r->version != 1 || r->value.size() != cfg.value_bytes)
        ++bad;
    });
    auto secs = seconds_since(t0);
    auto stats = eng->stats();
    trim_heap();
    auto rss1 = rss_bytes();
    double per = (static_cast<double>(rss1) - static_cast<double>(rss0))
                 / static_cast<double>(data.size());
    auto resident = stats ? stats->resident : 0;
    std::cout << "  activated " << data.size() << " in " << fmt(secs, 1)
              << " s (" << fmt_rate(static_cast<double>(data.size()) / secs)
              << "/s); RSS " << fmt_bytes(static_cast<double>(rss0)) << " -> "
              << fmt_bytes(static_cast<double>(rss1)) << ": "
              << fmt_bytes(per) << " per resident entity" << std::endl;
    row x;
    x.workload = w;
    x.system = "entact resident";
    x.entact = x.primary = true;
    x.metrics = {{"entities", static_cast<double>(data.size())},
                 {"resident", static_cast<double>(resident)},
                 {"rss_before_bytes", static_cast<double>(rss0)},
                 {"rss_after_bytes", static_cast<double>(rss1)},
                 {"bytes_per_resident_entity", per},
                 {"activations_per_s",
                  static_cast<double>(data.size()) / secs}};
    x.note = "activated by get() from " + std::to_string(threads)
             + " threads, resident_cap above N; RSS after a storage read "
               "pass (warm RocksDB caches) vs after activation";
    rep.add(std::move(x));
    rep.verify(w + " resident: every get saw its record, all resident",
               bad == 0 && resident >= data.size(),
               std::to_string(bad.load()) + " bad reads, resident "
                 + std::to_string(resident));
    t0 = clock::now();
    eng.reset();
    std::cout << "  closed in " << fmt(seconds_since(t0), 1) << " s"
              << std::endl;
  }
  { // (b) touch many more entities than the cap: RSS must stay bounded
    temp_dir dir{cfg.dir, "entact-bench"};
    auto eng = open_engine(dir.path() + "/db", false, cfg.w5_cap);
    trim_heap();
    auto rss_start = rss_bytes();
    uint64_t rss_at_cap = 0, rss_max = 0, rss_end = 0;
    std::atomic<size_t> bad{0};
    auto steps = size_t{10};
    auto t0 = clock::now();
    size_t done = 0;
    auto touch = [&](size_t upto) {
      parallel_for(threads, upto - done, [&](size_t j) {
        // Absent ids: each still activates an actor (it loads the absent
        // record and answers not_found), then is passivated past the cap.
        auto r = eng->get("w5t/" + std::to_string(done + j));
        if (r || entact::code_of(r.error()) != entact::errc::not_found)
          ++bad;
      });
      done = upto;
      trim_heap();
      auto rss = rss_bytes();
      rss_max = std::max(rss_max, rss);
      return rss;
    };
    rss_at_cap = touch(std::min(cfg.w5_cap, cfg.w5_touch));
    std::vector<std::string> samples;
    for (size_t i = 1; i <= steps && done < cfg.w5_touch; ++i) {
      auto upto = std::max(done, cfg.w5_touch * i / steps);
      rss_end = touch(upto);
      samples.push_back(fmt(static_cast<double>(rss_end) / (1 << 20), 0));
    }
    auto secs = seconds_since(t0);
    auto stats = eng->stats();
    auto resident = stats ? stats->resident : 0;
    auto passivations = stats ? stats->passivations : 0;
    double growth = rss_at_cap > rss_start
                      ? (static_cast<double>(rss_end)
                         - static_cast<double>(rss_at_cap))
                          / (static_cast<double>(rss_at_cap)
                             - static_cast<double>(rss_start))
                      : 0;
    std::cout << "  touched " << cfg.w5_touch << " in " << fmt(secs, 1)
              << " s; RSS start " << fmt_bytes(rss_start) << ", at cap "
              << fmt_bytes(rss_at_cap) << ", end " << fmt_bytes(rss_end)
              << ", max " << fmt_bytes(rss_max) << "; resident " << resident
              << ", passivations " << passivations << std::endl;
    std::string series;
    for (auto& s : samples)
      series += (series.empty() ? "" : " ") + s;
    std::cout << "  RSS MiB every " << cfg.w5_touch / steps
              << " touches: " << series << std::endl;
    row x;
    x.workload = w;
    x.system = "entact capped";
    x.entact = true;
    x.metrics = {{"touched", static_cast<double>(cfg.w5_touch)},
                 {"resident_cap", static_cast<double>(cfg.w5_cap)},
                 {"resident_at_end", static_cast<double>(resident)},
                 {"passivations", static_cast<double>(passivations)},
                 {"rss_start_bytes", static_cast<double>(rss_start)},
                 {"rss_at_cap_bytes", static_cast<double>(rss_at_cap)},
                 {"rss_end_bytes", static_cast<double>(rss_end)},
                 {"rss_max_bytes", static_cast<double>(rss_max)},
                 {"growth_after_cap_vs_first_cap", growth},
                 {"touches_per_s", static_cast<double>(cfg.w5_touch) / secs}};
    x.note = "get() of absent ids from " + std::to_string(threads)
             + " threads; RSS MiB per tenth: " + series;
    rep.add(std::move(x));
    rep.verify(w + " capped: every touch answered not_found, cap held",
               bad == 0 && resident <= cfg.w5_cap + cfg.w5_cap / 10,
               std::to_string(bad.load()) + " unexpected answers, resident "
                 + std::to_string(resident) + " (cap "
                 + std::to_string(cfg.w5_cap) + ")");
  }
}

// -- W6: latency at half the peak --------------------------------------------

void run_latency(const config& cfg, report& rep) {
  const std::string w = "W6";
  double rate = cfg.w6_rate;
  std::string basis = "--w6-rate";
  if (rate <= 0) {
    double peak = 0;
    for (const auto& x : rep.rows)
      if (x.workload == "W1" && x.entact && x.system != "entact store only")
        peak = std::max(peak, x.r.ops_per_s());
    if (peak <= 0) {
      std::cout << "\n(W6 needs W1's peak: measuring entact blocking first)"
                << std::endl;
      report probe;
      config c = cfg;
      c.systems = {"entact"};
      run_updates(c, probe, "W1", true);
      peak = probe.primary("W1")->r.ops_per_s();
    }
    rate = std::max(1.0, peak / 2);
    basis = "half of W1's entact peak " + fmt(peak, 0) + "/s";
  }
  rep.workloads.push_back(
    {w, "latency of W1 (sync on, uniform keys, " + std::to_string(cfg.entities)
          + " entities) at " + fmt(rate, 0)
          + " updates/s offered open-loop (" + basis + ")"});
  std::cout << "\n== " << w << " " << rep.workloads.back().title << std::endl;
  dataset data("w6", cfg.entities, cfg.value_bytes);
  temp_dir dir{cfg.dir, "entact-bench"};
  preload_entact(dir.path() + "/db", data);
  auto eng = open_engine(dir.path() + "/db", true);
  activate_all(*eng, data, !cfg.cold);
  known_versions kv{data.size()};
  auto total = static_cast<size_t>(
    rate * (cfg.w6_seconds + cfg.timing.warmup.count()));
  auto warm = static_cast<size_t>(rate * cfg.timing.warmup.count());
  std::vector<uint32_t> lat(total, 0);
  std::vector<uint8_t> result(total, 0);
  std::atomic<size_t> completed{0};
  std::atomic<size_t> in_flight{0};
  size_t max_in_flight = 0;
  std::mutex mtx;
  std::condition_variable cv;
  std::mt19937_64 rng{42};
  std::string first_error;
  std::mutex err_mtx;
  auto period = std::chrono::duration<double>(1.0 / rate);
  auto t0 = clock::now();
  for (size_t i = 0; i < total; ++i) {
    // Latency counts from the intended send time, so falling behind
    // (coordinated omission) shows up as latency, not as a lower rate.
    auto due = t0 + std::chrono::duration_cast<clock::duration>(period * i);
    std::this_thread::sleep_until(due);
    auto k = data.pick(rng);
    max_in_flight = std::max(max_in_flight, ++in_flight);
    eng->apply_async(
      entact::write_op::update(data.ids[k], kv.get(k),
                               make_value(cfg.value_bytes, i)),
      [&, i, k, due](caf::expected<entact::record> r) {
        lat[i] = static_cast<uint32_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(clock::now()
                                                               - due)
            .count());
        if (r) {
          kv.learn(k, r->version);
          result[i] = 1;
        } else if (auto c = entact::conflict_of(r.error())) {
          kv.learn(k, c->stored.version);
          result[i] = 2;
        } else {
          result[i] = 3;
          std::lock_guard<std::mutex> guard{err_mtx};
          if (first_error.empty())
            first_error = caf::to_string(r.error());
        }
        --in_flight;
        if (++completed == total) {
          std::lock_guard<std::mutex> guard{mtx};
          cv.notify_all();
        }
      });
  }
  auto offered_secs = seconds_since(t0);
  {
    std::unique_lock<std::mutex> guard{mtx};
    cv.wait(guard, [&] { return completed == total; });
  }
  auto all_secs = seconds_since(t0);
  run_result r;
  std::vector<uint32_t> measured(lat.begin() + warm, lat.end());
  r.lat = percentiles_of(std::move(measured));
  for (size_t i = warm; i < total; ++i) {
    r.ok += result[i] == 1;
    r.conflicts += result[i] == 2;
    r.errors += result[i] == 3;
  }
  for (size_t i = 0; i < total; ++i)
    r.ok_total += result[i] == 1;
  r.seconds = cfg.w6_seconds;
  r.first_error = first_error;
  print_run("entact open-loop", r);
  row x{w, "entact", true, true, r, {}, ""};
  x.metrics = {{"offered_per_s", rate},
               {"achieved_send_rate_per_s",
                static_cast<double>(total) / offered_secs},
               {"completion_seconds", all_secs},
               {"max_in_flight", static_cast<double>(max_in_flight)}};
  x.note = "one pacing thread, apply_async, latency from the intended send "
           "time; max in flight "
           + std::to_string(max_in_flight);
  rep.add(std::move(x));
  verify_versions(rep, w + " entact: no lost or invented update", data, kv,
                  r.ok_total, [&](const std::string& id) {
                    auto v = eng->read(id);
                    return v ? v->version : 0;
                  });
  rep.verify(w + " entact: no errors", r.errors == 0,
             std::to_string(r.errors) + " errors " + first_error);
}

// -- W3: pessimistic two-entity transfers ------------------------------------

/// Sum of every account's balance, and of its version increments.
struct ledger_totals {
  uint64_t balance = 0;
  uint64_t increments = 0;
  size_t unreadable = 0;
};

ledger_totals ledger_of(entact::database& db, const dataset& data) {
  ledger_totals t;
  for (const auto& id : data.ids) {
    auto r = db.read(id);
    if (!r || !r->exists()) {
      ++t.unreadable;
      continue;
    }
    t.balance += parse_counter(r->value);
    t.increments += r->version - 1;
  }
  return t;
}

/// Money is neither created nor destroyed, and every committed transfer
/// bumped exactly two versions.
void verify_ledger(report& rep, const std::string& name, entact::database& db,
                   const dataset& data, uint64_t initial,
                   uint64_t committed) {
  auto t = ledger_of(db, data);
  auto expected = initial * data.size();
  rep.verify(name,
             t.unreadable == 0 && t.balance == expected
               && t.increments == 2 * committed,
             "sum of balances " + std::to_string(t.balance) + " (expected "
               + std::to_string(expected) + "), version increments "
               + std::to_string(t.increments) + " for "
               + std::to_string(committed) + " committed transfers, "
               + std::to_string(t.unreadable) + " unreadable");
}

/// Two distinct random accounts and an amount.
struct transfer {
  size_t from, to;
  uint64_t amount;
};

transfer pick_transfer(const dataset& data, std::mt19937_64& rng) {
  transfer t{data.pick(rng), data.pick(rng), 1 + rng() % 100};
  while (t.to == t.from)
    t.to = data.pick(rng);
  return t;
}

outcome txn_outcome(const caf::error& err, slot& s) {
  switch (entact::code_of(err)) {
    case entact::errc::conflict:
    case entact::errc::aborted:
    case entact::errc::lock_timeout:
    case entact::errc::lease_expired:
      return outcome::gave_up; // retries spent: nothing written
    default:
      if (s.first_error.empty())
        s.first_error = caf::to_string(err);
      return outcome::error;
  }
}

void run_transfers(const config& cfg, report& rep) {
  const std::string w = "W3";
  auto n = cfg.w3_clients;
  const uint64_t initial = 1000000;
  auto vb = cfg.value_bytes;
  rep.workloads.push_back(
    {w, std::string{"pessimistic transfers (sync "} + (cfg.w3_sync ? "on" : "off")
          + "): " + std::to_string(n)
          + " clients, " + std::to_string(cfg.w3_accounts)
          + " accounts, each transfer locks 2 entities, reads both "
            "balances, writes both"});
  std::cout << "\n== " << w << " " << rep.workloads.back().title << std::endl;
  dataset data("acct", cfg.w3_accounts, vb);
  auto balance0 = [&](size_t) { return counter_value(initial, vb); };

  if (cfg.runs("entact")) {
    temp_dir dir{cfg.dir, "entact-bench"};
    preload_entact(dir.path() + "/db", data, balance0);
    auto eng = open_engine(dir.path() + "/db", cfg.w3_sync);
    activate_all(*eng, data, !cfg.cold);
    auto r = run_closed(n, cfg.timing, [&](slot& s) {
      auto t = pick_transfer(data, s.rng);
      const auto& a = data.ids[t.from];
      const auto& b = data.ids[t.to];
      auto res = eng->transact({a, b}, [&](entact::transaction& txn) {
        auto ra = txn.get(a);
        auto rb = txn.get(b);
        if (!ra)
          return ra.error();
        if (!rb)
          return rb.error();
        auto from = parse_counter(ra->value);
        auto to = parse_counter(rb->value);
        auto amount = std::min(t.amount, from);
        if (auto err = txn.put(a, counter_value(from - amount, vb)))
          return err;
        return txn.put(b, counter_value(to + amount, vb));
      });
      return res ? outcome::ok : txn_outcome(res.error(), s);
    });
    print_run("entact transact", r);
    rep.add({w, "entact transact", true, true, r, {},
             std::to_string(n)
               + " threads, engine.transact({a,b}, body): lock both "
                 "(wait-die), read, put both, one store batch"});
    verify_ledger(rep, w + " entact transact: balances sum unchanged", *eng,
                  data, initial, r.ok_total);
    rep.verify(w + " entact transact: no errors", r.errors == 0,
               std::to_string(r.errors) + " errors " + r.first_error);
  }
  if (cfg.runs("entact-optimistic")) {
    temp_dir dir{cfg.dir, "entact-bench"};
    preload_entact(dir.path() + "/db", data, balance0);
    auto eng = open_engine(dir.path() + "/db", cfg.w3_sync);
    activate_all(*eng, data, !cfg.cold);
    entact::retry_policy policy;
    auto r = run_closed(n, cfg.timing, [&](slot& s) {
      auto t = pick_transfer(data, s.rng);
      const auto& a = data.ids[t.from];
      const auto& b = data.ids[t.to];
      for (unsigned attempt = 0; attempt < policy.max_attempts; ++attempt) {
        if (attempt > 0)
          back_off(policy, attempt - 1, s.rng);
        ++s.attempts;
        auto cur = eng->read_many({a, b});
        if (!cur)
          return txn_outcome(cur.error(), s);
        const auto& ra = (*cur)[0];
        const auto& rb = (*cur)[1];
        auto from = parse_counter(ra.value);
        auto to = parse_counter(rb.value);
        auto amount = std::min(t.amount, from);
        auto res = eng->apply_batch(
          {entact::write_op::update(a, ra.version,
                                    counter_value(from - amount, vb)),
           entact::write_op::update(b, rb.version,
                                    counter_value(to + amount, vb))});
        if (res)
          return outcome::ok;
        if (!entact::is_conflict(res.error()))
          return txn_outcome(res.error(), s);
        ++s.conflicts;
      }
      return outcome::gave_up;
    });
    print_run("entact optimistic", r);
    rep.add({w, "entact optimistic", true, false, r,
             {{"attempts", static_cast<double>(r.attempts)}},
             "read_many + apply_batch of 2 versioned updates, retry on "
             "conflict (retry_policy defaults); conflicts counted per "
             "attempt"});
    verify_ledger(rep, w + " entact optimistic: balances sum unchanged",
                  *eng, data, initial, r.ok_total);
    rep.verify(w + " entact optimistic: no errors", r.errors == 0,
               std::to_string(r.errors) + " errors " + r.first_error);
  }
  if (cfg.runs("raw-pess")) {
    temp_dir dir{cfg.dir, "raw-bench"};
    raw_pessimistic db{dir.path() + "/db", cfg.w3_sync};
    db.preload(data);
    auto before = db.counters();
    auto r = run_closed(n, cfg.timing, [&](slot& s) {
      return db.two_key_update(data, s.rng, s.ok_total, s.first_error);
    });
    print_run("raw-pess", r);
    auto m = group_metrics(before, db.counters());
    rep.add({w, "raw-pess", false, false, r, m,
             std::to_string(n)
               + " threads, TransactionDB: GetForUpdate both (sorted), "
                 "Put both, Commit"});
    rep.verify(w + " raw-pess: no errors", r.errors == 0,
               std::to_string(r.errors) + " errors " + r.first_error);
  }
}

// -- W7: remote (entactd over loopback) ---------------------------------------

/// Pipelined versioned updates: `in_flight` chains of apply_async.
run_result run_pipelined(entact::database& db, const dataset& data,
                         known_versions& kv, size_t in_flight,
                         run_timing timing, size_t vb) {
  chain_runner chains{in_flight, [&](slot& s, chain_runner::done_fn done) {
                        auto k = data.pick(s.rng);
                        db.apply_async(
                          entact::write_op::update(data.ids[k], kv.get(k),
                                                   make_value(vb,
                                                              s.ok_total)),
                          [&kv, k, &s, done](caf::expected<entact::record> r) {
                            done(judge(r, kv, k, s));
                          });
                      }};
  return chains.run(timing);
}

/// Round trips from one thread: blocking get() or update().
run_result run_round_trips(entact::database& db, const dataset& data,
                           known_versions& kv, bool update,
                           run_timing timing, size_t vb) {
  return run_closed(1, timing, [&](slot& s) {
    auto k = data.pick(s.rng);
    if (!update) {
      auto r = db.get(data.ids[k]);
      if (r)
        return outcome::ok;
      if (s.first_error.empty())
        s.first_error = caf::to_string(r.error());
      return outcome::error;
    }
    auto r = db.update(data.ids[k], kv.get(k), make_value(vb, s.ok_total));
    return judge(r, kv, k, s);
  });
}

void run_remote(const config& cfg, report& rep) {
  auto n = cfg.w7_in_flight;
  auto vb = cfg.value_bytes;
  rep.workloads.push_back(
    {"W7a", "remote pipelined updates (sync off): entactd --no-sync over "
            "loopback vs an in-process engine, "
              + std::to_string(n) + " apply_async in flight, "
              + std::to_string(cfg.w7_entities) + " entities, uniform keys"});
  rep.workloads.push_back(
    {"W7b", "remote round trip (sync off): one thread, blocking get() or "
            "update(), remote vs in-process (ops/s = 1 / mean latency)"});
  std::cout << "\n== W7 remote: " << rep.workloads[rep.workloads.size() - 2]
                                       .title
            << "; " << rep.workloads.back().title << std::endl;
  dataset data("w7", cfg.w7_entities, vb);
  auto add_w7b = [&](const std::string& system, const run_result& r,
                     bool entact_row, const std::string& note) {
    rep.add({"W7b", system, entact_row, false, r, {}, note});
  };
  run_result in_get, in_upd, re_get, re_upd;
  { // in-process first: the same dataset, its own directory
    temp_dir dir{cfg.dir, "entact-bench"};
    preload_entact(dir.path() + "/db", data);
    auto eng = open_engine(dir.path() + "/db", false);
    activate_all(*eng, data, !cfg.cold);
    known_versions kv{data.size()};
    auto r = run_pipelined(*eng, data, kv, n, cfg.timing, vb);
    print_run("in-process pipelined", r);
    rep.add({"W7a", "in-process", true, false, r, {},
             std::to_string(n) + " apply_async chains on an embedded "
                                 "engine (sync off)"});
    in_get = run_round_trips(*eng, data, kv, false, cfg.timing, vb);
    print_run("in-process get round trip", in_get);
    in_upd = run_round_trips(*eng, data, kv, true, cfg.timing, vb);
    print_run("in-process update round trip", in_upd);
    verify_versions(rep, "W7 in-process: no lost or invented update", data,
                    kv, r.ok_total + in_upd.ok_total,
                    [&](const std::string& id) {
                      auto x = eng->read(id);
                      return x ? x->version : 0;
                    });
    rep.verify("W7 in-process: no errors",
               r.errors + in_get.errors + in_upd.errors == 0,
               std::to_string(r.errors + in_get.errors + in_upd.errors)
                 + " errors " + r.first_error + in_get.first_error
                 + in_upd.first_error);
  }
  {
    temp_dir dir{cfg.dir, "entactd-bench"};
    preload_entact(dir.path() + "/data", data);
    auto t0 = clock::now();
    server_child server{dir.path(), dir.path() + "/data"};
    entact::client_options opts;
    opts.port = server.port();
    auto cl = entact::client::connect(opts);
    if (!cl)
      throw std::runtime_error("connect: " + caf::to_string(cl.error()) + "; "
                               + server.log_tail());
    auto& db = **cl;
    std::cout << "  (entactd on port " << server.port() << ", connected in "
              << fmt(seconds_since(t0), 2) << " s)" << std::endl;
    activate_all(db, data, !cfg.cold);
    known_versions kv{data.size()};
    auto r = run_pipelined(db, data, kv, n, cfg.timing, vb);
    print_run("remote pipelined", r);
    rep.add({"W7a", "remote", true, true, r, {},
             std::to_string(n)
               + " apply_async chains through entact::client to entactd "
                 "--no-sync on 127.0.0.1"});
    re_get = run_round_trips(db, data, kv, false, cfg.timing, vb);
    print_run("remote get round trip", re_get);
    re_upd = run_round_trips(db, data, kv, true, cfg.timing, vb);
    print_run("remote update round trip", re_upd);
    verify_versions(rep, "W7 remote: no lost or invented update", data, kv,
                    r.ok_total + re_upd.ok_total, [&](const std::string& id) {
                      auto x = db.read(id);
                      return x ? x->version : 0;
                    });
    rep.verify("W7 remote: no errors",
               r.errors + re_get.errors + re_upd.errors == 0,
               std::to_string(r.errors + re_get.errors + re_upd.errors)
                 + " errors " + r.first_error + re_get.first_error
                 + re_upd.first_error);
    db.close();
    cl->reset();
    t0 = clock::now();
    auto code = server.stop(std::chrono::seconds{30});
    std::cout << "  (entactd stopped by SIGTERM in "
              << fmt(seconds_since(t0), 2) << " s, exit code " << code << ")"
              << std::endl;
    rep.verify("W7 entactd: exits 0 on SIGTERM", code == 0,
               "exit code " + std::to_string(code)
                 + (code == 0 ? "" : "; " + server.log_tail()));
  }
  auto ratio = [](double a, double b) {
    return b > 0 ? " (" + fmt(a / b, 2) + "x in-process)" : std::string{};
  };
  add_w7b("remote get", re_get, true,
          "entact::client::get, p50" + ratio(re_get.lat.p50, in_get.lat.p50));
  add_w7b("remote update", re_upd, true,
          "entact::client::update, p50"
            + ratio(re_upd.lat.p50, in_upd.lat.p50));
  add_w7b("in-process get", in_get, true, "engine::get");
  add_w7b("in-process update", in_upd, true, "engine::update");
}

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
  if (cfg.wants("W6"))
    run_latency(cfg, rep);
  if (cfg.wants("W7"))
    run_remote(cfg, rep);
  machine.load_end = load_average();
  // Present workloads in their natural order.
  std::stable_sort(rep.workloads.begin(), rep.workloads.end(),
                   [](const auto& a, const auto& b) { return a.id < b.id; });
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
