#include "workloads/w3_transfers.hpp"

#include <algorithm>
#include <atomic>
#include <iostream>

#include <entact/errc.hpp>
#include <entact/resolve.hpp>
#include <entact/storage/store.hpp>

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

/// Counts the committed transfers whose two accounts live in different
/// partitions of the store, so the spanning share can be told beside the
/// rate. The engine's stats do not carry the store's `spanning_batches`;
/// each committed transfer is one store batch over exactly its two ids,
/// so placing them with the store's own `partition_of` counts the same.
class w3_span_counter {
public:
  explicit w3_span_counter(size_t partitions) : partitions_(partitions) {
  }

  /// Call once per committed transfer, from any client thread.
  void committed(const std::string& a, const std::string& b) {
    using entact::storage::store;
    if (partitions_ > 1
        && store::partition_of(a, partitions_)
             != store::partition_of(b, partitions_))
      spanning_.fetch_add(1, std::memory_order_relaxed);
  }

  uint64_t spanning() const {
    return spanning_.load();
  }

  /// Prints the share of `committed` transfers that spanned partitions and
  /// keeps it as `x`'s metrics (nothing with one partition: none can).
  void report_on(row& x, uint64_t committed) const {
    if (partitions_ < 2)
      return;
    auto share = static_cast<double>(spanning())
                 / std::max<double>(1, static_cast<double>(committed));
    std::cout << "    " << fmt(100 * share, 1) << "% of " << committed
              << " committed transfers spanned partitions (a second group "
                 "commit each)"
              << std::endl;
    x.metrics.emplace_back("spanning_transfers",
                           static_cast<double>(spanning()));
    x.metrics.emplace_back("spanning_share", share);
  }

private:
  size_t partitions_;
  std::atomic<uint64_t> spanning_{0};
};

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
                     const initial_value& balance0, size_t np) {
  const std::string w = "W3";
  auto vb = cfg.value_bytes;
  preloaded_engine eng{cfg, data, cfg.w3_sync, balance0, np};
  w3_span_counter spans{np};
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
    if (!res)
      return txn_outcome(res.error(), s);
    spans.committed(a, b);
    return outcome::ok;
  });
  auto label = partitioned("entact transact", np);
  print_run(label, r);
  auto& x = rep.add({w, label, true, np == 1, r, {},
                     std::to_string(cfg.w3_clients)
                       + " threads, engine.transact({a,b}, body): lock both "
                         "(wait-die), read, put both, one store batch"});
  x.partitions = np;
  spans.report_on(x, r.ok_total);
  verify_ledger(rep, w + " " + label + ": balances sum unchanged", *eng,
                data, r.ok_total);
  rep.verify_no_errors(w + " " + label + ": no errors", {r});
}

/// The same transfer without locks: read both, write both at the versions
/// read, and retry on a conflict.
void entact_optimistic(const config& cfg, report& rep, const dataset& data,
                       const initial_value& balance0, size_t np) {
  const std::string w = "W3";
  auto vb = cfg.value_bytes;
  preloaded_engine eng{cfg, data, cfg.w3_sync, balance0, np};
  w3_span_counter spans{np};
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
      if (res) {
        spans.committed(a, b);
        return outcome::ok;
      }
      if (!entact::is_conflict(res.error()))
        return txn_outcome(res.error(), s);
      ++s.conflicts;
    }
    return outcome::gave_up;
  });
  auto label = partitioned("entact optimistic", np);
  print_run(label, r);
  auto& x = rep.add({w, label, true, false, r,
                     {{"attempts", static_cast<double>(r.attempts)}},
                     "read_many + apply_batch of 2 versioned updates, retry "
                     "on conflict (retry_policy defaults); conflicts "
                     "counted per attempt"});
  x.partitions = np;
  spans.report_on(x, r.ok_total);
  verify_ledger(rep, w + " " + label + ": balances sum unchanged", *eng,
                data, r.ok_total);
  rep.verify_no_errors(w + " " + label + ": no errors", {r});
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
  // As in W1: one partition beside the baseline, the other counts after it.
  auto entact_rows = [&](size_t np) {
    if (cfg.runs("entact"))
      entact_transact(cfg, rep, data, balance0, np);
    if (cfg.runs("entact-optimistic"))
      entact_optimistic(cfg, rep, data, balance0, np);
  };
  entact_rows(1);
  if (cfg.runs("raw-pess")) {
    auto r = run_raw_pess(cfg, rep,
                          {w, "raw-pess", n,
                           std::to_string(n)
                             + " threads, TransactionDB: GetForUpdate both "
                               "(sorted), Put both, Commit"},
                          data, cfg.w3_sync);
    rep.verify_no_errors(w + " raw-pess: no errors", {r});
  }
  for (auto np : cfg.partitions)
    if (np > 1)
      entact_rows(np);
}

} // namespace bench
