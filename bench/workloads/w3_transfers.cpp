#include "workloads/w3_transfers.hpp"

#include <algorithm>

#include <entact/errc.hpp>
#include <entact/resolve.hpp>

#include "systems/baseline_runs.hpp"
#include "systems/drivers.hpp"
#include "systems/entact_setup.hpp"
#include "harness/format.hpp"

namespace bench {

namespace {

const uint64_t initial_balance = 1000000;

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
                   const dataset& data, uint64_t committed) {
  auto t = ledger_of(db, data);
  auto expected = initial_balance * data.size();
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

/// engine.transact({a, b}, body): both locked (wait-die), one store batch.
void entact_transact(const config& cfg, report& rep, const dataset& data,
                     const initial_value& balance0) {
  const std::string w = "W3";
  auto vb = cfg.value_bytes;
  preloaded_engine eng{cfg, data, cfg.w3_sync, balance0};
  auto r = run_closed(cfg.w3_clients, cfg.timing, [&](slot& s) {
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
           std::to_string(cfg.w3_clients)
             + " threads, engine.transact({a,b}, body): lock both "
               "(wait-die), read, put both, one store batch"});
  verify_ledger(rep, w + " entact transact: balances sum unchanged", *eng,
                data, r.ok_total);
  rep.verify_no_errors(w + " entact transact: no errors", {r});
}

/// The same transfer without locks: read both, write both at the versions
/// read, and retry on a conflict.
void entact_optimistic(const config& cfg, report& rep, const dataset& data,
                       const initial_value& balance0) {
  const std::string w = "W3";
  auto vb = cfg.value_bytes;
  preloaded_engine eng{cfg, data, cfg.w3_sync, balance0};
  entact::retry_policy policy;
  auto r = run_closed(cfg.w3_clients, cfg.timing, [&](slot& s) {
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
  verify_ledger(rep, w + " entact optimistic: balances sum unchanged", *eng,
                data, r.ok_total);
  rep.verify_no_errors(w + " entact optimistic: no errors", {r});
}

} // namespace

void run_transfers(const config& cfg, report& rep) {
  const std::string w = "W3";
  auto n = cfg.w3_clients;
  auto vb = cfg.value_bytes;
  rep.begin(w, std::string{"pessimistic transfers (sync "}
                 + (cfg.w3_sync ? "on" : "off") + "): " + std::to_string(n)
                 + " clients, " + std::to_string(cfg.w3_accounts)
                 + " accounts, each transfer locks 2 entities, reads both "
                   "balances, writes both");
  dataset data("acct", cfg.w3_accounts, vb);
  auto balance0 = [&](size_t) { return counter_value(initial_balance, vb); };
  if (cfg.runs("entact"))
    entact_transact(cfg, rep, data, balance0);
  if (cfg.runs("entact-optimistic"))
    entact_optimistic(cfg, rep, data, balance0);
  if (cfg.runs("raw-pess")) {
    auto r = run_raw_pess(cfg, rep,
                          {w, "raw-pess", n,
                           std::to_string(n)
                             + " threads, TransactionDB: GetForUpdate both "
                               "(sorted), Put both, Commit"},
                          data, cfg.w3_sync);
    rep.verify_no_errors(w + " raw-pess: no errors", {r});
  }
}

} // namespace bench
