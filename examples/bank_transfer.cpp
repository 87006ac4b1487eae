// bank_transfer: money moves between accounts, and never appears or vanishes.
//
// M accounts ("acct/0".."acct/M-1") start with 1000 each. K users (one
// thread each) move random amounts between random distinct pairs. A checker
// thread sums every balance, over and over, from one consistent snapshot
// (`read_many`): the total must be M * 1000 in every snapshot, even while
// transfers are half done. Two ways to run the same workload:
//
//   pessimistic  engine.transact({from, to}, body): the coordinator locks
//                both accounts (wait-die, so no deadlock), the body reads
//                both balances, refuses if the source cannot pay, else
//                stages both new balances; they commit atomically. Some
//                users ABANDON their transfer: they begin and lock the pair
//                by message through engine.coordinator(), then stop
//                answering while staying alive. The lease must run out and
//                free the locks; the abandoned transaction's late commit
//                must then be refused (errc::unknown_transaction).
//   optimistic   read both balances (read_many), compute, apply_batch two
//                version-checked updates; on a conflict, back off and start
//                over. Abandoning users just read and walk away: an
//                optimistic reader holds nothing.
//
// Every mode resets the balances to 1000 first. Afterwards the final
// balances are checked against a ledger of the transfers acknowledged to the
// users (no acknowledged transfer lost, no refused one applied) and for
// overdrafts. The program exits with 1 if any snapshot's total was wrong, the
// ledger disagrees, a late commit of an abandoned transaction was accepted,
// or a call failed unexpectedly.
//
// Run it:
//   ./bank_transfer                      both modes, ~10k transfers each
//                                        (about 8 s on 2 cores)
//   ./bank_transfer --transfers=3200     ~100k transfers per mode (about
//                                        75 s on 2 cores, sync on or off:
//                                        each user spends ~20 s of it away,
//                                        abandoning, and pessimistic
//                                        transfers wait out abandoned locks)
//   ./bank_transfer --help               the options, with their defaults
//
// Options are read by CAF's config system (`--name=value`, or the same keys
// in an ini file given with --config-file=FILE) into the same
// `entact::config` the engine then runs on.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <entact/engine.hpp>
#include <entact/retry_policy.hpp>

#include "support/coordinator_session.hpp"
#include "support/ledger.hpp"
#include "support/local_example.hpp"
#include "support/problem_log.hpp"
#include "support/progress_line.hpp"
#include "support/records.hpp"
#include "support/snapshot_checker.hpp"
#include "support/transfer_results.hpp"
#include "support/transfer_tally.hpp"
#include "support/transfers.hpp"
#include "support/users.hpp"

namespace {

using namespace std::chrono_literals;
using std::chrono::steady_clock;
using example::describe;

constexpr int64_t initial_balance = 1000;
constexpr int64_t max_amount = 500; // a transfer moves 1..max_amount

// -- options ------------------------------------------------------------------

struct options {
  unsigned accounts = 1000;
  unsigned users = 32;
  unsigned transfers = 300;
  double abandon_percent = 2;
  unsigned lease_ms = 200;
  unsigned attempts = entact::retry_policy{}.max_attempts;
  std::string mode = "all";
  example::storage_options storage; // --path, --sync, --no-sync

  void add_to(caf::config_option_adder& add) {
    add.add(accounts, "accounts", "accounts, 1000 each [1000]")
      .add(users, "users", "concurrent users [32]")
      .add(transfers, "transfers", "transfers per user [300]")
      .add(abandon_percent, "abandon-percent",
           "share of transfers abandoned mid-way, in % [2]")
      .add(lease_ms, "lease-ms", "lease of an abandoned transaction, ms [200]")
      .add(attempts, "attempts", "attempts per transfer (retry policy) [16]")
      .add(mode, "mode", "all|pessimistic|optimistic [all]");
    storage.add_to(add);
  }

  // What CAF cannot check; empty if the options are fine.
  std::string invalid() const {
    if (accounts < 2)
      return "--accounts must be at least 2";
    if (users == 0 || transfers == 0 || lease_ms == 0 || attempts == 0)
      return "--users, --transfers, --lease-ms and --attempts must be at "
             "least 1";
    if (!(abandon_percent >= 0 && abandon_percent <= 100))
      return "--abandon-percent must be between 0 and 100";
    if (mode != "all" && mode != "pessimistic" && mode != "optimistic")
      return "--mode must be all, pessimistic or optimistic";
    return {};
  }
};

// Anything the example does not expect.
example::problem_log problems;

// -- what every user shares ---------------------------------------------------

struct run_context {
  run_context(entact::engine& e, const options& opts,
              const std::vector<entact::entity_id>& i)
    : eng(e), ids(i), t(opts.users, i.size()) {
    retry.max_attempts = opts.attempts;
    lease = std::chrono::milliseconds{opts.lease_ms};
    away = lease + std::max(lease / 2, 50ms);
  }
  entact::engine& eng;
  const std::vector<entact::entity_id>& ids;
  example::transfer_tally t; // outcomes, and the ledger of those committed
  entact::retry_policy retry;
  std::chrono::milliseconds lease; // of an abandoned transaction
  std::chrono::milliseconds away;  // how long an abandoning user stays away
  // The story of the first abandoned transaction, for the report: written
  // by the one user who claimed it, read once all users are done.
  std::atomic<bool> first_claimed{false};
  std::string first_abandoned;
};

// Can another transaction lock `ids` now? Locks them and aborts (the body
// refuses), so nothing is written. Returns how that went, in words.
std::string probe_locks(run_context& ctx,
                        const std::vector<entact::entity_id>& ids) {
  bool got_them = false;
  entact::txn_options topts;
  topts.lock_wait = ctx.lease;
  auto res = ctx.eng.transact(
    ids,
    [&](entact::transaction&) -> caf::error {
      got_them = true;
      return entact::make_error(entact::errc::aborted, "probe only");
    },
    topts, ctx.retry);
  if (got_them)
    return "another transaction locked both accounts: the lease freed them";
  return "another transaction could not lock them ("
         + (res ? std::string{"?"} : describe(res.error()))
         + "): held by someone else?";
}

// -- pessimistic: engine.transact, and users who abandon their transaction ----

void abandon_pessimistic(run_context& ctx, const example::transfer& tr);

// A transfer in one transaction: `transact` locks both accounts, and
// commits what the body staged or nothing.
void user_pessimistic(run_context& ctx, unsigned u,
                      const example::transfer& tr) {
  if (tr.abandon)
    return abandon_pessimistic(ctx, tr);
  const auto& from = ctx.ids[tr.from];
  const auto& to = ctx.ids[tr.to];
  bool refused = false;
  auto body = [&](entact::transaction& txn) -> caf::error {
    refused = false;
    auto a = txn.get(from);
    if (!a)
      return std::move(a.error());
    auto b = txn.get(to);
    if (!b)
      return std::move(b.error());
    auto fa = example::number_of(*a);
    auto fb = example::number_of(*b);
    if (!fa || !fb)
      return entact::make_error(entact::errc::invalid_argument,
                                "not a balance: " + a->value + " / "
                                  + b->value);
    if (*fa < tr.amount) {
      refused = true;
      return entact::make_error(entact::errc::aborted, "insufficient funds");
    }
    if (auto err = txn.put(from, std::to_string(*fa - tr.amount)))
      return err;
    return txn.put(to, std::to_string(*fb + tr.amount));
  };
  // The default lease (5 s) for a transfer: it may wait up to the short
  // lease of an abandoned transaction for a lock, and must outlive that.
  entact::txn_options topts;
  auto start = steady_clock::now();
  auto done = ctx.eng.transact({from, to}, body, topts, ctx.retry);
  if (done)
    ctx.t.acknowledge(u, tr, start);
  else if (refused)
    ++ctx.t.insufficient;
  else
    ctx.t.count_failure(u, done.error(), "transact", problems);
}

// Begins a transaction with the short lease, locks the pair, reads both
// balances and stages the transfer -- and then the user goes quiet, alive
// but answering nothing, for longer than the lease. Afterwards it tries to
// commit: the coordinator must refuse, the lease having freed the locks.
// It talks to the coordinator by message, as an actor would (see
// support/coordinator_session.cpp): `transact` would never go quiet.
void abandon_pessimistic(run_context& ctx, const example::transfer& tr) {
  ++ctx.t.abandoned;
  const auto& from = ctx.ids[tr.from];
  const auto& to = ctx.ids[tr.to];
  example::coordinator_session txn{ctx.eng}; // this user owns it
  entact::txn_options topts;
  topts.lease = ctx.lease;
  topts.lock_wait = ctx.lease / 2; // the lease counts from begin
  auto locked = txn.begin_and_lock({from, to}, topts, ctx.retry);
  if (!locked && !txn.begun())
    return problems.add("begin", locked.error());
  if (!locked) {
    // It never got the locks, so there is nothing for the lease to free;
    // the user walks away all the same.
    auto code = entact::code_of(locked.error());
    if (code != entact::errc::aborted && code != entact::errc::lock_timeout
        && code != entact::errc::lease_expired)
      problems.add("lock (abandoning user)", locked.error());
    std::this_thread::sleep_for(ctx.away);
    return;
  }
  auto fa = example::number_of((*locked)[0]);
  auto fb = example::number_of((*locked)[1]);
  if (!fa || !fb)
    return problems.add("lock " + from + ", " + to + ": not balances");
  // A plausible transfer from the balances read under the locks: if it
  // landed after others changed these accounts, money would be created or
  // destroyed -- which the checker would see.
  auto amount = std::min(*fa, tr.amount);
  std::vector<entact::txn_write> writes{
    {from, false, std::to_string(*fa - amount)},
    {to, false, std::to_string(*fb + amount)}};
  auto left = steady_clock::now();
  std::this_thread::sleep_for(ctx.away); // alive, owning `txn`, silent
  std::chrono::duration<double, std::milli> gone = steady_clock::now() - left;
  // The first abandoning user also checks that the locks are free again.
  bool first = !ctx.first_claimed.exchange(true);
  std::string probe = first ? probe_locks(ctx, {from, to}) : "";
  auto late = txn.commit(writes);
  if (!late
      && entact::code_of(late.error()) == entact::errc::unknown_transaction)
    ++ctx.t.expiries;
  else if (late)
    problems.add("the late commit of abandoned transaction "
                 + std::to_string(txn.id()) + " was ACCEPTED");
  else
    problems.add("late commit of an abandoned transaction", late.error());
  if (!first)
    return;
  auto ull = [](uint64_t x) { return static_cast<unsigned long long>(x); };
  char buf[768];
  std::snprintf(
    buf, sizeof(buf),
    "  first abandoned transaction: #%llu locked %s (v%llu, %lld) and %s "
    "(v%llu, %lld),\n  staged a transfer of %lld and went silent for %.0f "
    "ms (lease %lld ms);\n  meanwhile %s;\n  then it tried to commit -> %s\n",
    ull(txn.id()), from.c_str(), ull((*locked)[0].version),
    static_cast<long long>(*fa), to.c_str(), ull((*locked)[1].version),
    static_cast<long long>(*fb), static_cast<long long>(amount),
    gone.count(), static_cast<long long>(ctx.lease.count()), probe.c_str(),
    late ? "ACCEPTED (wrong!)"
         : ("refused: " + describe(late.error())).c_str());
  ctx.first_abandoned = buf;
}

// -- optimistic: read_many, apply_batch, back off and retry on conflict -------

void user_optimistic(run_context& ctx, unsigned u,
                     const example::transfer& tr) {
  const auto& from = ctx.ids[tr.from];
  const auto& to = ctx.ids[tr.to];
  auto start = steady_clock::now();
  caf::error last;
  for (unsigned n = 0; n < ctx.retry.max_attempts; ++n) {
    if (n > 0)
      entact::back_off(ctx.retry, n - 1);
    auto recs = ctx.eng.read_many({from, to});
    if (!recs)
      return ctx.t.count_failure(u, recs.error(), "read_many", problems);
    auto fa = example::number_of((*recs)[0]);
    auto fb = example::number_of((*recs)[1]);
    if (!fa || !fb) {
      problems.add("read_many " + from + ", " + to + ": not balances");
      ++ctx.t.other;
      return;
    }
    if (tr.abandon) {
      // Read, then walk away: nothing is held, nobody waits for this user.
      ++ctx.t.abandoned;
      std::this_thread::sleep_for(ctx.away);
      return;
    }
    if (*fa < tr.amount) {
      ++ctx.t.insufficient;
      return;
    }
    auto done = ctx.eng.apply_batch(
      {entact::write_op::update(from, (*recs)[0].version,
                                std::to_string(*fa - tr.amount)),
       entact::write_op::update(to, (*recs)[1].version,
                                std::to_string(*fb + tr.amount))});
    if (done)
      return ctx.t.acknowledge(u, tr, start);
    if (!entact::is_conflict(done.error()))
      return ctx.t.count_failure(u, done.error(), "apply_batch", problems);
    ++ctx.t.conflicts; // stale: somebody moved money first; start over
    last = std::move(done.error());
  }
  ctx.t.count_failure(u, last, "apply_batch", problems);
}

// -- one mode -----------------------------------------------------------------

using user_fn = void (*)(run_context&, unsigned, const example::transfer&);

// Runs `mode` with every user making its transfers while a checker sums
// the balances; false if money appeared or vanished.
bool run_mode(entact::engine& eng, const options& opts,
              const std::vector<entact::entity_id>& ids, const char* mode,
              user_fn user, example::transfer_results& results) {
  std::printf("== %s: %u users x %u transfers between %u accounts "
              "(%.3g%% abandoned, lease %u ms)\n",
              mode, opts.users, opts.transfers, opts.accounts,
              opts.abandon_percent, opts.lease_ms);
  run_context ctx{eng, opts, ids};
  auto& t = ctx.t;
  if (!example::set_in_batches(eng, ids, std::to_string(initial_balance),
                               eng.options().max_txn_entities, problems)) {
    results.add(mode, t, 0, 0);
    return false;
  }
  // The checker: the total, from one consistent snapshot at a time, must
  // stay what it was even while transfers are half done.
  example::snapshot_checker check{
    eng, ids, initial_balance * static_cast<int64_t>(ids.size()), problems};
  example::progress_line progress{
    mode, "transfers", t.done, uint64_t{opts.users} * opts.transfers,
    [&] { return t.progress(check.snapshots()); }};
  double seconds = example::run_users(opts.users, [&](unsigned u) {
    example::transfer_source draws{u + 1, ids.size(), max_amount,
                                   opts.abandon_percent};
    for (unsigned i = 0; i < opts.transfers; ++i) {
      user(ctx, u, draws.next());
      ++t.done;
    }
  });
  check.stop();
  progress.stop();
  if (!ctx.first_abandoned.empty())
    std::printf("%s", ctx.first_abandoned.c_str());

  // Verified, not just counted: every final balance must be the initial one
  // plus the transfers acknowledged to the users, and never negative.
  auto audit = example::audit_balances(eng, ids, t.book, initial_balance,
                                       problems);
  std::printf("  %llu snapshots checked during the run, %llu with a wrong "
              "total; final total %lld (expected %lld); %zu accounts differ "
              "from the ledger of acknowledged transfers%s; %zu overdrawn\n\n",
              static_cast<unsigned long long>(check.snapshots()),
              static_cast<unsigned long long>(check.wrong()),
              static_cast<long long>(audit.total),
              static_cast<long long>(audit.expected_total), audit.differ,
              audit.exact ? "" : " (some outcomes unknown)", audit.overdrawn);
  results.add(mode, t, seconds, check.snapshots());
  return check.wrong() == 0 && audit.ok();
}

} // namespace

int main(int argc, char** argv) {
  example::local_example<options> run{"bank_transfer", argc, argv};
  if (auto status = run.exit_status())
    return *status;
  const options& opts = run.opts();
  entact::engine& db = run.engine();
  std::printf("entact bank_transfer on %s (sync %s): %u accounts of %lld, "
              "total %lld\n\n",
              db.options().path.c_str(), db.options().sync ? "on" : "off",
              opts.accounts, static_cast<long long>(initial_balance),
              static_cast<long long>(initial_balance) * opts.accounts);
  auto ids = example::ids_of("acct/", opts.accounts);

  example::transfer_results results;
  std::vector<std::string> failed;
  auto started = steady_clock::now();
  for (auto [mode, user] : {std::pair{"pessimistic", user_pessimistic},
                            std::pair{"optimistic", user_optimistic}})
    if ((opts.mode == "all" || opts.mode == mode)
        && !run_mode(db, opts, ids, mode, user, results))
      failed.push_back(mode);
  db.close();
  std::chrono::duration<double> elapsed = steady_clock::now() - started;

  results.print();
  for (auto& mode : failed)
    std::printf("FAILED: %s: money appeared or vanished (see above)\n",
                mode.c_str());
  char took[32];
  std::snprintf(took, sizeof(took), " (%.1f s)", elapsed.count());
  return example::verdict(failed.empty(), problems,
                          "OK: every snapshot summed to the initial total; "
                          "no transfer lost or half-applied.",
                          took);
}
