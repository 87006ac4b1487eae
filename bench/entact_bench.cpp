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

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <caf/actor_system_config.hpp>
#include <caf/config.hpp>
#include <rocksdb/version.h>

#include <entact/client.hpp>
#include <entact/engine.hpp>
#include <entact/errc.hpp>
#include <entact/resolve.hpp>
#include <entact/storage/store.hpp>

#include "baselines.hpp"
#include "util.hpp"

#ifndef ENTACT_ENTACTD_PATH
#error "ENTACT_ENTACTD_PATH (the entactd binary, for W7) must be defined"
#endif

extern char** environ;

namespace bench {
namespace {

// -- configuration ------------------------------------------------------------

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

  std::set<std::string> systems;

  bool wants(const std::string& w) const {
    return only.empty() || only.count(w) > 0;
  }

  /// Systems: entact, entact-async, entact-optimistic, store, raw-1,
  /// raw-N, raw-pess, locked-map.
  bool runs(const std::string& system) const {
    if (!systems.empty())
      return systems.count(system) > 0;
    return !entact_only || system == "entact" || system == "entact-async"
           || system == "entact-optimistic" || system == "store";
  }
};

/// The command line, through CAF's config system: `--clients=32`,
/// `--only=W1,W6`, flags as `--smoke` (or the same keys in an ini file given
/// with `--config-file=FILE`). Only parses: every system under test builds
/// its own engine.
class options : public caf::actor_system_config {
public:
  config cfg;
  std::vector<std::string> only;
  std::vector<std::string> systems;
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
    }
    seconds = cfg.timing.measure.count();
    warmup = cfg.timing.warmup.count();
    opt_group{custom_options_, "global"}
      .add(cfg.smoke, "smoke",
           "tiny sizes and short runs (CI; the smoke defaults below), "
           "correctness still checked")
      .add(cfg.json_path, "json", "also write the results as JSON")
      .add(only, "only", "run only these workloads, of W1,...,W7 [all]")
      .add(cfg.entact_only, "entact-only", "skip the baselines (profiling)")
      .add(systems, "systems",
           "run only these systems in W1/W2/W3/W4: entact, entact-async, "
           "entact-optimistic (W3), store, raw-1, raw-N (N = clients), "
           "raw-pess, locked-map")
      .add(cfg.dir, "dir",
           "parent of the temporary RocksDB directories, for all systems "
           "[$TMPDIR or /tmp]")
      .add(cfg.commit, "commit", "recorded in the JSON")
      .add(cfg.clients, "clients", "concurrent clients [64]")
      .add(cfg.entities, "entities", "entities of W1/W2/W6 [100000; smoke "
                                     "2000]")
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
           "W7: pipelined apply_async calls in flight [64]");
  }
};

[[noreturn]] void bad_usage(const std::string& what) {
  std::cerr << "entact_bench: " << what << " (see --help)" << std::endl;
  std::exit(64);
}

/// Parses the command line; exits 0 after --help, 64 on bad usage.
config parse(int argc, char** argv) {
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
  for (const auto& w : cfg.only)
    if (w.size() != 2 || w[0] != 'W' || w[1] < '1' || w[1] > '7')
      bad_usage("--only: no workload " + w + " (W1 to W7)");
  const std::set<std::string> known{"entact", "entact-async",
                                    "entact-optimistic", "store", "raw-1",
                                    "raw-" + std::to_string(cfg.clients),
                                    "raw-pess", "locked-map"};
  for (const auto& x : cfg.systems)
    if (known.count(x) == 0)
      bad_usage("--systems: no system " + x);
  if (cfg.clients == 0 || cfg.entities < 2 || cfg.w5_cap == 0
      || cfg.w5_threads == 0 || cfg.w3_clients == 0 || cfg.w3_accounts < 2
      || cfg.w7_entities == 0 || cfg.w7_in_flight == 0)
    bad_usage("sizes must be positive (entities, accounts >= 2)");
  if (!(opts.seconds > 0 && opts.warmup >= 0 && cfg.w6_seconds > 0
        && cfg.w6_rate >= 0))
    bad_usage("--seconds and --w6-seconds must be > 0, --warmup and "
              "--w6-rate >= 0");
  return cfg;
}

// -- results ------------------------------------------------------------------

struct row {
  std::string workload;
  std::string system;
  bool entact = false;
  bool primary = false; // the entact figure the baselines are compared to
  run_result r;
  std::vector<std::pair<std::string, double>> metrics;
  std::string note;
};

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

  row& add(row x) {
    rows.push_back(std::move(x));
    return rows.back();
  }

  void verify(const std::string& name, bool ok, const std::string& detail) {
    checks.push_back({name, ok, detail});
    std::cout << "  check " << (ok ? "ok     " : "FAILED ") << name << ": "
              << detail << std::endl;
  }

  const row* primary(const std::string& w) const {
    for (const auto& x : rows)
      if (x.workload == w && x.primary)
        return &x;
    return nullptr;
  }

  const row* find(const std::string& w, const std::string& system) const {
    for (const auto& x : rows)
      if (x.workload == w && x.system == system)
        return &x;
    return nullptr;
  }

  double metric(const std::string& w, const std::string& name) const {
    for (const auto& x : rows)
      if (x.workload == w)
        for (const auto& [k, v] : x.metrics)
          if (k == name)
            return v;
    return 0;
  }
};

std::string fmt(double x, int prec = 0) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", prec, x);
  return buf;
}

std::string fmt_rate(double x) {
  return fmt(x, x < 100 ? 1 : 0);
}

std::string fmt_ms(double us) {
  return fmt(us / 1000.0, us < 10000 ? 2 : 1);
}

std::string fmt_bytes(double b) {
  if (b >= 1024.0 * 1024 * 1024)
    return fmt(b / (1024.0 * 1024 * 1024), 2) + " GiB";
  if (b >= 1024.0 * 1024)
    return fmt(b / (1024.0 * 1024), 1) + " MiB";
  if (b >= 1024)
    return fmt(b / 1024.0, 2) + " KiB";
  return fmt(b, 0) + " B";
}

void print_run(const std::string& label, const run_result& r) {
  std::cout << "  " << label << ": " << fmt_rate(r.ops_per_s()) << "/s, p50 "
            << fmt_ms(r.lat.p50) << " ms, p99 " << fmt_ms(r.lat.p99)
            << " ms, conflicts " << r.conflicts << ", errors " << r.errors;
  if (!r.first_error.empty())
    std::cout << " (first: " << r.first_error << ")";
  std::cout << std::endl;
}

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

void parallel_for(size_t threads, size_t n,
                  const std::function<void(size_t)>& fn);

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

/// Many chains of asynchronous calls: each chain issues its next op from the
/// previous op's callback, so `chains` ops are always in flight.
class chain_runner {
public:
  using done_fn = std::function<void(outcome)>;
  using issue_fn = std::function<void(slot&, done_fn)>;

  chain_runner(size_t chains, issue_fn issue)
    : slots_(chains), issue_(std::move(issue)) {
    for (size_t i = 0; i < chains; ++i)
      slots_[i].rng.seed(0x51ed27bull * (i + 7));
  }

  run_result run(run_timing timing) {
    active_ = slots_.size();
    for (size_t i = 0; i < slots_.size(); ++i)
      start(i);
    std::this_thread::sleep_for(timing.warmup);
    auto t0 = clock::now();
    measuring_ = true;
    std::this_thread::sleep_for(timing.measure);
    measuring_ = false;
    auto secs = seconds_since(t0);
    stop_ = true;
    std::unique_lock<std::mutex> guard{mtx_};
    cv_.wait(guard, [this] { return active_ == 0; });
    return summarize(slots_, secs);
  }

private:
  void start(size_t i) {
    auto t0 = clock::now();
    issue_(slots_[i], [this, i, t0](outcome o) {
      auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                  clock::now() - t0)
                  .count();
      slots_[i].record(o, static_cast<uint64_t>(ns), measuring_.load());
      if (stop_) {
        std::lock_guard<std::mutex> guard{mtx_};
        if (--active_ == 0)
          cv_.notify_all();
        return;
      }
      start(i);
    });
  }

  std::vector<slot> slots_;
  issue_fn issue_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> measuring_{false};
  std::mutex mtx_;
  std::condition_variable cv_;
  size_t active_ = 0;
};

void parallel_for(size_t threads, size_t n,
                  const std::function<void(size_t)>& fn) {
  std::atomic<size_t> next{0};
  std::vector<std::thread> ts;
  for (size_t t = 0; t < threads; ++t)
    ts.emplace_back([&] {
      for (;;) {
        auto begin = next.fetch_add(256);
        if (begin >= n)
          return;
        for (auto i = begin; i < std::min(n, begin + 256); ++i)
          fn(i);
      }
    });
  for (auto& t : ts)
    t.join();
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
    case entact::errc::retries_exhausted:
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

/// `entactd` as a child process on an ephemeral loopback port, its output
/// in `<dir>/entactd.log`.
class server_child {
public:
  server_child(const std::string& dir, const std::string& data_dir) {
    port_file_ = dir + "/port";
    log_ = dir + "/entactd.log";
    std::vector<std::string> argv{ENTACT_ENTACTD_PATH,
                                  "--data-dir=" + data_dir, "--port=0",
                                  "--port-file=" + port_file_, "--no-sync"};
    std::vector<char*> args;
    for (auto& a : argv)
      args.push_back(a.data());
    args.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log_.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    auto rc = posix_spawn(&pid_, args[0], &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
      throw std::runtime_error(std::string{"cannot start "} + args[0]);
    auto deadline = clock::now() + std::chrono::seconds{30};
    while (clock::now() < deadline) {
      std::ifstream in{port_file_};
      unsigned p = 0;
      if (in >> p && p > 0) {
        port_ = static_cast<uint16_t>(p);
        return;
      }
      if (exited())
        throw std::runtime_error("entactd exited at start: " + log_tail());
      std::this_thread::sleep_for(std::chrono::milliseconds{20});
    }
    throw std::runtime_error("entactd did not start: " + log_tail());
  }

  ~server_child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  server_child(const server_child&) = delete;
  server_child& operator=(const server_child&) = delete;

  uint16_t port() const {
    return port_;
  }

  /// SIGTERM, then waits (at most `limit`): the exit code, -signal if
  /// killed by one, -1000 if it did not exit in time (then SIGKILLed).
  int stop(std::chrono::seconds limit) {
    ::kill(pid_, SIGTERM);
    auto deadline = clock::now() + limit;
    while (clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds{10});
    }
    return -1000;
  }

  std::string log_tail() const {
    std::ifstream in{log_};
    std::string all{std::istreambuf_iterator<char>{in},
                    std::istreambuf_iterator<char>{}};
    return all.size() > 600 ? all.substr(all.size() - 600) : all;
  }

private:
  bool exited() {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return true;
    }
    return false;
  }

  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::string port_file_;
  std::string log_;
};

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

// -- targets, table, JSON -----------------------------------------------------

void add_targets(const config& cfg, report& rep) {
  auto ratio = [&](const std::string& w, const std::string& base) {
    auto* p = rep.primary(w);
    auto* b = rep.find(w, base);
    if (!p || !b || b->r.ops_per_s() <= 0)
      return -1.0;
    return p->r.ops_per_s() / b->r.ops_per_s();
  };
  auto raw_n = "raw-" + std::to_string(cfg.clients);
  auto add_ratio = [&](const std::string& w, const std::string& base,
                       double goal) {
    auto r = ratio(w, base);
    if (r >= 0)
      rep.targets.push_back({w, "entact >= " + fmt(goal, 1) + "x " + base,
                             r, goal, true, false, "x"});
  };
  if (cfg.wants("W1")) {
    add_ratio("W1", raw_n, 2.0);
    add_ratio("W1", "raw-1", 10.0);
  }
  if (cfg.wants("W2"))
    add_ratio("W2", "raw-1", 1.0);
  if (cfg.wants("W3"))
    add_ratio("W3", "raw-pess", 0.5);
  if (cfg.wants("W4") && rep.primary("W4")) {
    auto* p = rep.primary("W4");
    rep.targets.push_back(
      {"W4", "final counter == committed increments (correctness)",
       static_cast<double>(p->r.ok_total), static_cast<double>(p->r.ok_total),
       true, false, ""});
  }
  if (cfg.wants("W5")) {
    auto per = rep.metric("W5", "bytes_per_resident_entity");
    rep.targets.push_back({"W5",
                           "RSS per resident entity <= 2 KiB (at "
                             + std::to_string(cfg.w5_resident) + ")",
                           per, 2048, false, false, "B"});
    auto growth = rep.metric("W5", "growth_after_cap_vs_first_cap");
    rep.targets.push_back(
      {"W5",
       "RSS bounded past the cap: growth after the first " +
         std::to_string(cfg.w5_cap) + " touches <= 25% of what they took",
       growth * 100, 25, false, false, "%"});
  }
  if (cfg.wants("W6") && rep.primary("W6"))
    rep.targets.push_back({"W6", "p99 <= 5 ms at half of W1's peak",
                           rep.primary("W6")->r.lat.p99 / 1000.0, 5, false,
                           false, "ms"});
  if (cfg.wants("W7")) {
    auto r = ratio("W7a", "in-process");
    if (r >= 0)
      rep.targets.push_back({"W7", "remote pipelined >= 0.5x in-process",
                             r, 0.5, true, false, "x"});
  }
}

std::string read_first_line(const std::string& path) {
  std::ifstream in{path};
  std::string line;
  std::getline(in, line);
  return line;
}

std::string now_utc() {
  auto t = std::time(nullptr);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

struct machine_info {
  std::string date;
  unsigned cores = 0;
  std::string kernel;
  std::string cpu;
  std::string load_start;
  std::string load_end;
  std::string rocksdb;
  std::string caf;
  std::string compiler;
  bool assertions_in_bench = false;
};

machine_info describe_machine() {
  machine_info m;
  m.date = now_utc();
  m.cores = std::thread::hardware_concurrency();
  utsname u{};
  if (uname(&u) == 0)
    m.kernel = std::string{u.sysname} + " " + u.release + " " + u.machine;
  std::ifstream cpuinfo{"/proc/cpuinfo"};
  std::string line;
  while (std::getline(cpuinfo, line))
    if (line.rfind("model name", 0) == 0) {
      m.cpu = line.substr(line.find(':') + 2);
      break;
    }
  m.load_start = read_first_line("/proc/loadavg");
  m.rocksdb = std::to_string(ROCKSDB_MAJOR) + "." + std::to_string(ROCKSDB_MINOR)
              + "." + std::to_string(ROCKSDB_PATCH);
  m.caf = std::to_string(CAF_VERSION / 10000) + "."
          + std::to_string(CAF_VERSION / 100 % 100) + "."
          + std::to_string(CAF_VERSION % 100);
  m.compiler = "g++ " __VERSION__;
#ifndef NDEBUG
  m.assertions_in_bench = true;
#endif
  return m;
}

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
    if (wi.id == "W5") {
      for (const auto& x : rep.rows)
        if (x.workload == "W5") {
          std::cout << "  " << x.system << ":";
          for (const auto& [k, v] : x.metrics)
            std::cout << " " << k << "="
                      << (k.find("bytes") != std::string::npos
                            ? fmt_bytes(v)
                            : fmt(v, v < 10 ? 2 : 0));
          std::cout << "\n";
        }
      continue;
    }
    auto* p = rep.primary(wi.id);
    char buf[512];
    std::snprintf(buf, sizeof(buf),
                  "  %-18s %9s %8s %7s %7s %8s %9s %6s %6s  %s\n", "system",
                  "ops/s", "entact/x", "p50 ms", "p99 ms", "p99.9 ms",
                  "conflicts", "errors", "/group", "how");
    std::cout << buf;
    for (const auto& x : rep.rows) {
      if (x.workload != wi.id)
        continue;
      std::string ratio = "";
      if (p && &x != p && x.r.ops_per_s() > 0)
        ratio = fmt(p->r.ops_per_s() / x.r.ops_per_s(), 2) + "x";
      std::string conflicts = std::to_string(x.r.conflicts);
      if (wi.id == "W4") {
        double a = static_cast<double>(x.r.attempts);
        conflicts = fmt(a > 0 ? 100.0 * x.r.conflicts / a : 0, 1) + "%";
      }
      std::string per_group;
      for (const auto& [k, v] : x.metrics)
        if (k == "batches_per_group")
          per_group = fmt(v, 1);
      std::snprintf(buf, sizeof(buf),
                    "  %-18s %9s %8s %7s %7s %8s %9s %6s %6s  %s\n",
                    x.system.c_str(), fmt_rate(x.r.ops_per_s()).c_str(),
                    ratio.c_str(), fmt_ms(x.r.lat.p50).c_str(),
                    fmt_ms(x.r.lat.p99).c_str(), fmt_ms(x.r.lat.p999).c_str(),
                    conflicts.c_str(), std::to_string(x.r.errors).c_str(),
                    per_group.c_str(), x.note.c_str());
      std::cout << buf;
    }
    if (wi.id == "W4")
      std::cout << "  (W4: ops/s is goodput, committed increments; conflicts "
                   "is the share of attempts that conflicted)\n";
    else
      std::cout << "  (/group: writes per group commit, entact's store or "
                   "RocksDB's own write group)\n";
  }
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
  size_t failed = 0;
  for (const auto& c : rep.checks)
    failed += !c.ok;
  std::cout << "\nCorrectness checks: " << rep.checks.size() - failed << "/"
            << rep.checks.size() << " passed\n";
  for (const auto& c : rep.checks)
    if (!c.ok)
      std::cout << "  FAILED " << c.name << ": " << c.detail << "\n";
}

std::string to_json(const config& cfg, const report& rep,
                    const machine_info& m) {
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
  json conf;
  conf.boolean("smoke", cfg.smoke)
    .str("commit", cfg.commit)
    .str("dir", cfg.dir)
    .num("clients", static_cast<double>(cfg.clients))
    .num("entities", static_cast<double>(cfg.entities))
    .num("value_bytes", static_cast<double>(cfg.value_bytes))
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
    .num("w7_in_flight", static_cast<double>(cfg.w7_in_flight));
  std::vector<std::string> workloads;
  for (const auto& wi : rep.workloads) {
    json j;
    j.str("id", wi.id).str("title", wi.title);
    workloads.push_back(j.object());
  }
  std::vector<std::string> rows;
  for (const auto& x : rep.rows) {
    json j;
    j.str("workload", x.workload)
      .str("system", x.system)
      .boolean("entact", x.entact)
      .boolean("primary", x.primary)
      .str("how", x.note)
      .num("ops_per_s", x.r.ops_per_s())
      .num("seconds", x.r.seconds)
      .num("ok", static_cast<double>(x.r.ok))
      .num("conflicts", static_cast<double>(x.r.conflicts))
      .num("gave_up", static_cast<double>(x.r.gave_up))
      .num("errors", static_cast<double>(x.r.errors))
      .num("attempts", static_cast<double>(x.r.attempts))
      .num("p50_us", x.r.lat.p50)
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
    rows.push_back(j.object());
  }
  std::vector<std::string> targets;
  for (const auto& t : rep.targets) {
    json j;
    j.str("workload", t.workload).str("target", t.text);
    if (t.pending) {
      j.str("status", "pending");
    } else {
      j.str("status", t.met() ? "met" : "missed")
        .num("value", t.value)
        .num("goal", t.goal)
        .str("unit", t.unit);
    }
    targets.push_back(j.object());
  }
  std::vector<std::string> checks;
  bool all_ok = true;
  for (const auto& c : rep.checks) {
    json j;
    j.str("name", c.name).boolean("ok", c.ok).str("detail", c.detail);
    checks.push_back(j.object());
    all_ok = all_ok && c.ok;
  }
  json top;
  top.field("machine", machine.object())
    .field("config", conf.object())
    .field("workloads", json::array(workloads))
    .field("results", json::array(rows))
    .field("targets", json::array(targets))
    .field("checks", json::array(checks))
    .boolean("all_checks_passed", all_ok);
  return top.object() + "\n";
}

int run(int argc, char** argv) {
  auto cfg = parse(argc, argv);
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
  machine.load_end = read_first_line("/proc/loadavg");
  // Present workloads in their natural order.
  std::stable_sort(rep.workloads.begin(), rep.workloads.end(),
                   [](const auto& a, const auto& b) { return a.id < b.id; });
  add_targets(cfg, rep);
  print_table(cfg, rep, machine);
  if (!cfg.json_path.empty()) {
    auto parent = std::filesystem::path{cfg.json_path}.parent_path();
    if (!parent.empty())
      std::filesystem::create_directories(parent);
    std::ofstream out{cfg.json_path};
    out << to_json(cfg, rep, machine);
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
