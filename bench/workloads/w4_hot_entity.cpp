#include "workloads/w4_hot_entity.hpp"

#include <optional>
#include <stdexcept>

#include <entact/resolve.hpp>

#include "systems/drivers.hpp"
#include "systems/entact_setup.hpp"
#include "harness/format.hpp"

namespace bench {

namespace {

const std::string w4 = "W4"; // in every row and check
const std::string hot_id = "hot/counter";

/// What retrying cost: attempts, the share that conflicted, and the
/// increments that ran out of attempts.
void add_rates(row& x) {
  double attempts = static_cast<double>(x.r.attempts);
  x.metrics.push_back({"attempts", attempts});
  x.metrics.push_back(
    {"conflict_rate",
     attempts > 0 ? static_cast<double>(x.r.conflicts) / attempts : 0});
  x.metrics.push_back({"gave_up", static_cast<double>(x.r.gave_up)});
}

void entact_increments(const config& cfg, report& rep,
                       const entact::retry_policy& policy,
                       const std::string& note) {
  auto vb = cfg.value_bytes;
  temp_dir dir{cfg.dir, "entact-bench"};
  auto eng = open_engine(dir.path() + "/db", true);
  if (!eng->create(hot_id, counter_value(0, vb)))
    throw std::runtime_error("cannot create the hot entity");
  auto r = run_closed(cfg.clients, cfg.timing, [&](slot& s) {
    entact::retry_stats st;
    auto res = entact::read_modify_write(
      *eng, hot_id,
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
  add_rates(rep.add({w4, "entact", true, true, r, {}, note}));
  auto stored = eng->read(hot_id);
  auto counter = stored ? parse_counter(stored->value) : 0;
  auto version = stored ? stored->version : 0;
  rep.verify(w4 + " entact: final counter equals committed increments",
             counter == r.ok_total && version == r.ok_total + 1,
             "counter " + std::to_string(counter) + ", version "
               + std::to_string(version) + ", committed increments "
               + std::to_string(r.ok_total));
  rep.verify_no_errors(w4 + " entact: no errors", {r});
}

/// The same increment as the other rows (same bytes: `counter_value`),
/// as an operation the bench registers: one `modify` per increment, run
/// inside the entity's actor, so nothing conflicts or retries.
entact::operation_map bench_operations(size_t vb) {
  return {{"bench_increment",
           [vb](const entact::record& cur,
                const std::string&) -> caf::expected<std::string> {
             auto v = cur.exists() ? parse_counter(cur.value) : 0;
             return counter_value(v + 1, vb);
           }}};
}

void entact_modifies(const config& cfg, report& rep) {
  auto vb = cfg.value_bytes;
  temp_dir dir{cfg.dir, "entact-bench"};
  auto eng = open_engine(dir.path() + "/db", true, 100000,
                         std::chrono::hours{1}, bench_operations(vb));
  if (!eng->create(hot_id, counter_value(0, vb)))
    throw std::runtime_error("cannot create the hot entity");
  auto before = eng->stats();
  auto r = run_closed(cfg.clients, cfg.timing, [&](slot& s) {
    ++s.attempts;
    auto res = eng->modify(hot_id, "bench_increment");
    if (res)
      return outcome::ok;
    if (s.first_error.empty())
      s.first_error = caf::to_string(res.error());
    return outcome::error;
  });
  print_run("entact modify", r);
  auto after = eng->stats();
  auto& x = rep.add({w4, "entact modify", true, false, r, {},
                     "modify(id, registered increment), blocking, coalesced "
                     "per entity"});
  add_rates(x);
  if (before && after && after->modify_writes > before->modify_writes)
    x.metrics.push_back(
      {"modifications_per_store_write",
       static_cast<double>(after->modifications - before->modifications)
         / static_cast<double>(after->modify_writes - before->modify_writes)});
  auto stored = eng->read(hot_id);
  auto counter = stored ? parse_counter(stored->value) : 0;
  auto version = stored ? stored->version : 0;
  rep.verify(w4 + " entact modify: final counter equals committed increments",
             counter == r.ok_total && version == r.ok_total + 1,
             "counter " + std::to_string(counter) + ", version "
               + std::to_string(version) + ", committed increments "
               + std::to_string(r.ok_total));
  rep.verify_no_errors(w4 + " entact modify: no errors", {r});
}

void raw_increments(const config& cfg, report& rep,
                    const entact::retry_policy& policy,
                    const std::string& system) {
  auto vb = cfg.value_bytes;
  temp_dir dir{cfg.dir, "raw-bench"};
  raw_optimistic db{dir.path() + "/db", true};
  db.preload_one(hot_id, counter_value(0, vb));
  auto r = run_closed(cfg.clients, cfg.timing, [&](slot& s) {
    return db.increment(hot_id, policy, vb, s);
  });
  print_run(system, r);
  add_rates(rep.add({w4, system, false, false, r, {},
                     "OptimisticTransactionDB GetForUpdate+Put+Commit, "
                     "same retry policy"}));
  std::string value;
  db.read(hot_id, &value);
  rep.verify(w4 + " raw: final counter equals committed increments",
             parse_counter(value) == r.ok_total,
             "counter " + std::to_string(parse_counter(value))
               + ", committed " + std::to_string(r.ok_total));
}

void locked_map_increments(const config& cfg, report& rep) {
  auto vb = cfg.value_bytes;
  temp_dir dir{cfg.dir, "raw-bench"};
  locked_map db{dir.path() + "/db", true};
  db.preload_one(hot_id, counter_value(0, vb));
  auto r = run_closed(cfg.clients, cfg.timing, [&](slot& s) {
    ++s.attempts;
    return db.increment(hot_id, vb, s.first_error);
  });
  print_run("locked-map", r);
  add_rates(rep.add({w4, "locked-map", false, false, r, {},
                     "increment under the exclusive lock (no conflicts "
                     "possible)"}));
  rep.verify(w4 + " locked-map: final counter equals committed increments",
             db.counter(hot_id) == r.ok_total,
             "counter " + std::to_string(db.counter(hot_id)) + ", committed "
               + std::to_string(r.ok_total));
}

} // namespace

void run_hot(const config& cfg, report& rep) {
  auto n = cfg.clients;
  rep.begin(w4, "one hot entity, " + std::to_string(n)
                 + " clients incrementing it: optimistic read-modify-write "
                   "with retry, or modify (sync on)");
  entact::retry_policy policy; // the library's defaults
  auto note = "read_modify_write, retry_policy defaults ("
              + std::to_string(policy.max_attempts) + " attempts, backoff "
              + std::to_string(policy.initial_backoff.count()) + " us .. "
              + std::to_string(policy.max_backoff.count() / 1000) + " ms)";
  if (cfg.runs("entact"))
    entact_increments(cfg, rep, policy, note);
  if (cfg.runs("entact-modify"))
    entact_modifies(cfg, rep);
  auto raw_n = "raw-" + std::to_string(n);
  if (cfg.runs(raw_n))
    raw_increments(cfg, rep, policy, raw_n);
  if (cfg.runs("locked-map"))
    locked_map_increments(cfg, rep);
}

} // namespace bench
