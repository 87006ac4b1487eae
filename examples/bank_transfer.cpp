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
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <caf/scoped_actor.hpp>

#include <entact/engine.hpp>
#include <entact/retry_policy.hpp>

#include "support/common.hpp"

namespace {

using namespace std::chrono_literals;
using std::chrono::steady_clock;

constexpr int64_t initial_balance = 1000;
constexpr int64_t max_amount = 500; // a transfer moves 1..max_amount

// -- options ----------------------------------------------------------------

struct options {
  unsigned accounts = 1000;
  unsigned users = 32;
  unsigned transfers = 300;
  double abandon_percent = 2;
  unsigned lease_ms = 200;
  unsigned attempts = entact::retry_policy{}.max_attempts;
  std::string mode = "all";
  std::string path; // empty: a temporary directory, removed at exit
  bool sync = entact::engine_options{}.sync;
  bool no_sync = false; // on the command line a bool can only be turned on
};

// The options on top of entact's own config, which the engine then runs on.
class config : public entact::config {
public:
  options opts;

  config() {
    opt_group{custom_options_, "global"}
      .add(opts.accounts, "accounts", "accounts, 1000 each [1000]")
      .add(opts.users, "users", "concurrent users [32]")
      .add(opts.transfers, "transfers", "transfers per user [300]")
      .add(opts.abandon_percent, "abandon-percent",
           "share of transfers abandoned mid-way, in % [2]")
      .add(opts.lease_ms, "lease-ms",
           "lease of an abandoned transaction, ms [200]")
      .add(opts.attempts, "attempts",
           "attempts per transfer (retry policy) [16]")
      .add(opts.mode, "mode", "all|pessimistic|optimistic [all]")
      .add(opts.path, "path",
           "database directory, kept [a temporary one, removed at exit]")
      .add(opts.sync, "sync", "sync the WAL before acknowledging a write "
                              "[the engine's default: on]")
      .add(opts.no_sync, "no-sync", "acknowledge before the WAL reaches the "
                                    "disk");
  }
};

// What CAF cannot check; empty if the options are fine.
std::string invalid(const options& opts) {
  if (opts.accounts < 2)
    return "--accounts must be at least 2";
  if (opts.users == 0 || opts.transfers == 0 || opts.lease_ms == 0
      || opts.attempts == 0)
    return "--users, --transfers, --lease-ms and --attempts must be at least 1";
  if (!(opts.abandon_percent >= 0 && opts.abandon_percent <= 100))
    return "--abandon-percent must be between 0 and 100";
  if (opts.mode != "all" && opts.mode != "pessimistic"
      && opts.mode != "optimistic")
    return "--mode must be all, pessimistic or optimistic";
  return {};
}

// -- problems: anything the example does not expect ---------------------------

using example::describe;

example::problem_log problems;

std::vector<entact::entity_id> account_ids(unsigned n) {
  std::vector<entact::entity_id> ids;
  ids.reserve(n);
  for (unsigned i = 0; i < n; ++i)
    ids.push_back("acct/" + std::to_string(i));
  return ids;
}

// Sets every account to the initial balance, creating those that do not
// exist (a kept --path holds them at later versions), in atomic batches of
// at most `chunk` accounts.
bool reset_accounts(entact::engine& eng,
                    const std::vector<entact::entity_id>& ids, size_t chunk) {
  auto recs = eng.read_many(ids);
  if (!recs) {
    problems.add("read_many (reset)", recs.error());
    return false;
  }
  const auto value = std::to_string(initial_balance);
  for (size_t first = 0; first < ids.size(); first += chunk) {
    std::vector<entact::write_op> ops;
    for (size_t i = first; i < std::min(ids.size(), first + chunk); ++i) {
      auto& rec = (*recs)[i];
      ops.push_back(rec.exists()
                      ? entact::write_op::update(ids[i], rec.version, value)
                      : entact::write_op::create(ids[i], value));
    }
    if (auto done = eng.apply_batch(std::move(ops)); !done) {
      problems.add("apply_batch (reset)", done.error());
      return false;
    }
  }
  return true;
}

// -- what the users did -----------------------------------------------------

// Counted across the users' threads, read live by the progress line.
struct tally {
  std::atomic<uint64_t> done{0};         // transfers finished, any outcome
  std::atomic<uint64_t> committed{0};    // transfers acknowledged
  std::atomic<uint64_t> insufficient{0}; // refused: source cannot pay
  std::atomic<uint64_t> exhausted{0};    // wait-die/conflict retries spent
  std::atomic<uint64_t> lock_timeout{0}; // a lock wait ran out
  std::atomic<uint64_t> abandoned{0};    // the user walked away
  std::atomic<uint64_t> lease_expired{0}; // a transfer outlived its lease
  std::atomic<uint64_t> other{0};        // anything else (a problem)
  std::atomic<uint64_t> expiries{0};     // abandoned locks freed by the lease
  std::atomic<uint64_t> conflicts{0};    // optimistic attempts refused stale
  std::atomic<uint64_t> snapshots{0};    // consistent totals checked
  std::atomic<uint64_t> bad_snapshots{0}; // totals that were wrong

  uint64_t aborted() const {
    return insufficient + exhausted + lock_timeout + abandoned + lease_expired
           + other;
  }
};

// What one user did: its effect on each account (acknowledged transfers
// only) and the latency of its committed transfers.
struct user_log {
  std::vector<int64_t> delta;
  std::vector<double> latency_ms;
  bool uncertain = false; // an outcome is unknown (timeout, in_doubt)
};

// One transfer as the workload draws it: the same sequence in every mode.
struct transfer {
  size_t from = 0;
  size_t to = 0;
  int64_t amount = 0;
  bool abandon = false;
};

class workload {
public:
  workload(unsigned user, size_t accounts, double abandon_percent)
    : rng_(user + 1), account_(0, accounts - 1), amount_(1, max_amount),
      abandon_(abandon_percent / 100) {
  }
  transfer next() {
    transfer t;
    t.from = account_(rng_);
    do
      t.to = account_(rng_);
    while (t.to == t.from);
    t.amount = amount_(rng_);
    t.abandon = abandon_(rng_);
    return t;
  }

private:
  std::minstd_rand rng_;
  std::uniform_int_distribution<size_t> account_;
  std::uniform_int_distribution<int64_t> amount_;
  std::bernoulli_distribution abandon_;
};

// Sorts a failed transfer into its column; unknown errors are problems.
void count_failure(const caf::error& err, tally& t, user_log& log,
                   const char* call) {
  switch (entact::code_of(err)) {
    case entact::errc::retries_exhausted: // transact's retries spent
    case entact::errc::aborted:
    case entact::errc::conflict:
      ++t.exhausted;
      break;
    case entact::errc::lock_timeout:
      ++t.lock_timeout;
      break;
    case entact::errc::lease_expired:
      ++t.lease_expired;
      break;
    case entact::errc::timeout:
    case entact::errc::in_doubt:
      log.uncertain = true; // the ledger can no longer be exact
      [[fallthrough]];
    default:
      ++t.other;
      problems.add(call, err);
  }
}

// Everything a mode's users share.
struct run_context {
  run_context(entact::engine& e, const options& o,
              const std::vector<entact::entity_id>& i, tally& ta)
    : eng(e), opts(o), ids(i), t(ta) {
  }
  entact::engine& eng;
  const options& opts;
  const std::vector<entact::entity_id>& ids;
  tally& t;
  entact::retry_policy retry;
  std::chrono::milliseconds lease;
  std::chrono::milliseconds away; // how long an abandoning user stays away
  std::atomic<bool> first_claimed{false};
  std::mutex first_mtx;
  std::string first_abandoned; // the story of the first one, for the report
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

void transfer_pessimistic(run_context& ctx, const transfer& tr,
                          user_log& log) {
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
  std::chrono::duration<double, std::milli> took = steady_clock::now() - start;
  if (done) {
    ++ctx.t.committed;
    log.delta[tr.from] -= tr.amount;
    log.delta[tr.to] += tr.amount;
    log.latency_ms.push_back(took.count());
  } else if (refused) {
    ++ctx.t.insufficient;
  } else {
    count_failure(done.error(), ctx.t, log, "transact");
  }
}

// One blocking request to the coordinator on behalf of `self`, the owner.
template <class T, class... Ts>
caf::expected<T> call(caf::scoped_actor& self,
                      const entact::coordinator_api& coord,
                      std::chrono::milliseconds timeout, Ts&&... xs) {
  caf::expected<T> result = entact::make_error(entact::errc::timeout);
  self->request(coord, timeout, std::forward<Ts>(xs)...)
    .receive([&](T& x) { result = std::move(x); },
             [&](caf::error& err) { result = std::move(err); });
  return result;
}

// Begins a transaction with the short lease, locks the pair, reads both
// balances and stages the transfer -- and then the user goes quiet, alive
// but answering nothing, for longer than the lease. Afterwards it tries to
// commit: the coordinator must refuse, the lease having freed the locks.
void abandon_pessimistic(run_context& ctx, const transfer& tr) {
  ++ctx.t.abandoned;
  const auto& from = ctx.ids[tr.from];
  const auto& to = ctx.ids[tr.to];
  caf::scoped_actor self{ctx.eng.system()}; // owns the transaction
  auto coord = ctx.eng.coordinator();
  auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
    ctx.eng.options().request_timeout);
  entact::txn_options topts;
  topts.lease = ctx.lease;
  topts.lock_wait = ctx.lease / 2; // the lease counts from begin
  caf::expected<entact::txn_handle> handle = entact::txn_handle{};
  caf::expected<std::vector<entact::record>> locked
    = entact::make_error(entact::errc::aborted);
  for (unsigned n = 0; n < ctx.retry.max_attempts; ++n) {
    if (n > 0)
      entact::back_off(ctx.retry, n - 1);
    handle = call<entact::txn_handle>(self, coord, timeout,
                                      entact::begin_atom::value, topts);
    if (!handle) {
      problems.add("begin", handle.error());
      return;
    }
    topts.age = handle->age; // wait-die: a retry keeps its age
    locked = call<std::vector<entact::record>>(
      self, coord, timeout, entact::lock_atom::value, handle->id,
      std::vector<entact::entity_id>{from, to});
    if (locked || entact::code_of(locked.error()) != entact::errc::aborted)
      break;
  }
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
  if (!fa || !fb) {
    problems.add("lock " + from + ", " + to + ": not balances");
    return;
  }
  // A plausible transfer from the balances read under the locks: if it
  // landed after others changed these accounts, money would be created or
  // destroyed -- which the checker would see.
  std::vector<entact::txn_write> writes{
    {from, false, std::to_string(*fa - std::min(*fa, tr.amount))},
    {to, false, std::to_string(*fb + std::min(*fa, tr.amount))}};
  auto left = steady_clock::now();
  std::this_thread::sleep_for(ctx.away); // alive, holding `self`, silent
  std::chrono::duration<double, std::milli> gone = steady_clock::now() - left;
  // The first abandoning user also checks that the locks are free again.
  bool first = !ctx.first_claimed.exchange(true);
  std::string probe = first ? probe_locks(ctx, {from, to}) : "";
  auto late = call<std::vector<entact::record>>(
    self, coord, timeout, entact::commit_atom::value, handle->id, writes);
  bool refused = !late
                 && entact::code_of(late.error())
                      == entact::errc::unknown_transaction;
  if (refused)
    ++ctx.t.expiries;
  else if (late)
    problems.add("the late commit of abandoned transaction "
                 + std::to_string(handle->id) + " was ACCEPTED");
  else
    problems.add("late commit of an abandoned transaction", late.error());
  if (first) {
    char buf[768];
    std::snprintf(
      buf, sizeof(buf),
      "  first abandoned transaction: #%llu locked %s (v%llu, %lld) and %s "
      "(v%llu, %lld),\n  staged a transfer of %lld and went silent for %.0f "
      "ms (lease %lld ms);\n  meanwhile %s;\n  then it tried to commit -> "
      "%s\n",
      static_cast<unsigned long long>(handle->id), from.c_str(),
      static_cast<unsigned long long>((*locked)[0].version),
      static_cast<long long>(*fa), to.c_str(),
      static_cast<unsigned long long>((*locked)[1].version),
      static_cast<long long>(*fb),
      static_cast<long long>(std::min(*fa, tr.amount)), gone.count(),
      static_cast<long long>(ctx.lease.count()), probe.c_str(),
      late ? "ACCEPTED (wrong!)"
           : ("refused: " + describe(late.error())).c_str());
    std::lock_guard<std::mutex> guard{ctx.first_mtx};
    ctx.first_abandoned = buf;
  }
}

void user_pessimistic(run_context& ctx, const transfer& tr, user_log& log) {
  if (tr.abandon)
    abandon_pessimistic(ctx, tr);
  else
    transfer_pessimistic(ctx, tr, log);
}

// -- optimistic: read_many, apply_batch, back off and retry on conflict --------

void user_optimistic(run_context& ctx, const transfer& tr, user_log& log) {
  const auto& from = ctx.ids[tr.from];
  const auto& to = ctx.ids[tr.to];
  auto start = steady_clock::now();
  caf::error last;
  for (unsigned n = 0; n < ctx.retry.max_attempts; ++n) {
    if (n > 0)
      entact::back_off(ctx.retry, n - 1);
    auto recs = ctx.eng.read_many({from, to});
    if (!recs) {
      count_failure(recs.error(), ctx.t, log, "read_many");
      return;
    }
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
    if (done) {
      std::chrono::duration<double, std::milli> took = steady_clock::now()
                                                       - start;
      ++ctx.t.committed;
      log.delta[tr.from] -= tr.amount;
      log.delta[tr.to] += tr.amount;
      log.latency_ms.push_back(took.count());
      return;
    }
    if (!entact::is_conflict(done.error())) {
      count_failure(done.error(), ctx.t, log, "apply_batch");
      return;
    }
    ++ctx.t.conflicts; // stale: somebody moved money first; start over
    last = std::move(done.error());
  }
  count_failure(last, ctx.t, log, "apply_batch");
}

// -- the checker: the total, from one consistent snapshot at a time ------------

class checker {
public:
  checker(entact::engine& eng, const std::vector<entact::entity_id>& ids,
          tally& t)
    : eng_(eng), ids_(ids), t_(t), thread_([this] { run(); }) {
  }
  ~checker() {
    stop();
  }
  void stop() {
    stopping_ = true;
    if (thread_.joinable())
      thread_.join();
  }

private:
  void run() {
    const int64_t expected = initial_balance
                             * static_cast<int64_t>(ids_.size());
    while (!stopping_) {
      auto recs = eng_.read_many(ids_);
      if (!recs) {
        problems.add("read_many (checker)", recs.error());
        return;
      }
      int64_t total = 0;
      for (auto& rec : *recs) {
        if (auto n = example::number_of(rec)) {
          total += *n;
        } else {
          problems.add(rec.id + " holds no balance in a snapshot");
          total = -1;
          break;
        }
      }
      ++t_.snapshots;
      if (total != expected) {
        ++t_.bad_snapshots;
        problems.add("a snapshot's total is " + std::to_string(total)
                     + ", expected " + std::to_string(expected));
      }
      // A breath between snapshots: leaves the two cores to the users.
      std::this_thread::sleep_for(1ms);
    }
  }

  entact::engine& eng_;
  const std::vector<entact::entity_id>& ids_;
  tally& t_;
  std::atomic<bool> stopping_{false};
  std::thread thread_; // last: starts once everything above is ready
};

// -- one mode -----------------------------------------------------------------

// One line of the final table.
struct row {
  std::string mode;
  uint64_t committed = 0;
  uint64_t insufficient = 0;
  uint64_t exhausted = 0;
  uint64_t lock_timeout = 0;
  uint64_t abandoned = 0; // abandoned, plus transfers whose lease ran out
  uint64_t other = 0;
  uint64_t expiries = 0;
  uint64_t conflicts = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  double per_second = 0;
  uint64_t snapshots = 0;
  bool ok = true;
};

double percentile(std::vector<double>& xs, double p) {
  if (xs.empty())
    return 0;
  auto k = static_cast<size_t>(p * static_cast<double>(xs.size() - 1));
  std::nth_element(xs.begin(), xs.begin() + static_cast<ptrdiff_t>(k),
                   xs.end());
  return xs[k];
}

using user_fn = void (*)(run_context&, const transfer&, user_log&);

row run_mode(entact::engine& eng, const options& opts,
             const std::vector<entact::entity_id>& ids, const char* mode,
             user_fn user) {
  std::printf("== %s: %u users x %u transfers between %u accounts "
              "(%.3g%% abandoned, lease %u ms)\n",
              mode, opts.users, opts.transfers, opts.accounts,
              opts.abandon_percent, opts.lease_ms);
  row r;
  r.mode = mode;
  if (!reset_accounts(eng, ids, eng.options().max_txn_entities)) {
    r.ok = false;
    return r;
  }
  tally t;
  run_context ctx{eng, opts, ids, t};
  ctx.retry.max_attempts = opts.attempts;
  ctx.lease = std::chrono::milliseconds{opts.lease_ms};
  ctx.away = ctx.lease + std::max(ctx.lease / 2, 50ms);
  std::vector<user_log> logs(opts.users);
  for (auto& log : logs)
    log.delta.assign(ids.size(), 0);
  checker check{eng, ids, t};
  example::progress_line progress{
    mode, "transfers", t.done, uint64_t{opts.users} * opts.transfers, [&t] {
      return std::to_string(t.committed.load()) + " ok, "
             + std::to_string(t.aborted()) + " aborted, "
             + std::to_string(t.expiries.load()) + " expired, "
             + std::to_string(t.snapshots.load()) + " snapshots";
    }};
  auto start = steady_clock::now();
  std::vector<std::thread> users;
  for (unsigned u = 0; u < opts.users; ++u)
    users.emplace_back([&, u] {
      workload w{u, ids.size(), opts.abandon_percent};
      for (unsigned i = 0; i < opts.transfers; ++i) {
        user(ctx, w.next(), logs[u]);
        ++t.done;
      }
    });
  for (auto& th : users)
    th.join();
  std::chrono::duration<double> elapsed = steady_clock::now() - start;
  check.stop();
  progress.stop();
  if (!ctx.first_abandoned.empty())
    std::printf("%s", ctx.first_abandoned.c_str());

  // Verified, not just counted: every final balance must be the initial one
  // plus the transfers acknowledged to the users, and never negative.
  std::vector<int64_t> expected(ids.size(), initial_balance);
  std::vector<double> latencies;
  bool uncertain = false;
  for (auto& log : logs) {
    for (size_t i = 0; i < ids.size(); ++i)
      expected[i] += log.delta[i];
    latencies.insert(latencies.end(), log.latency_ms.begin(),
                     log.latency_ms.end());
    uncertain = uncertain || log.uncertain;
  }
  int64_t total = 0;
  size_t wrong = 0;
  size_t overdrawn = 0;
  auto recs = eng.read_many(ids);
  if (!recs) {
    problems.add("read_many (final)", recs.error());
    r.ok = false;
  } else {
    for (size_t i = 0; i < ids.size(); ++i) {
      auto n = example::number_of((*recs)[i]);
      if (!n) {
        problems.add(ids[i] + " holds no balance at the end");
        r.ok = false;
        continue;
      }
      total += *n;
      wrong += *n != expected[i] ? 1 : 0;
      overdrawn += *n < 0 ? 1 : 0;
    }
  }
  const int64_t want = initial_balance * static_cast<int64_t>(ids.size());
  std::printf("  %llu snapshots checked during the run, %llu with a wrong "
              "total; final total %lld (expected %lld); %zu accounts differ "
              "from the ledger of acknowledged transfers%s; %zu overdrawn\n\n",
              static_cast<unsigned long long>(t.snapshots.load()),
              static_cast<unsigned long long>(t.bad_snapshots.load()),
              static_cast<long long>(total), static_cast<long long>(want),
              wrong, uncertain ? " (some outcomes unknown)" : "", overdrawn);
  if (t.bad_snapshots > 0 || total != want || overdrawn > 0
      || (wrong > 0 && !uncertain))
    r.ok = false;

  r.committed = t.committed;
  r.insufficient = t.insufficient;
  r.exhausted = t.exhausted;
  r.lock_timeout = t.lock_timeout;
  r.abandoned = t.abandoned + t.lease_expired;
  r.other = t.other;
  r.expiries = t.expiries;
  r.conflicts = t.conflicts;
  r.p50_ms = percentile(latencies, 0.50);
  r.p99_ms = percentile(latencies, 0.99);
  r.per_second = static_cast<double>(r.committed) / elapsed.count();
  r.snapshots = t.snapshots;
  return r;
}

// -- the verdict -------------------------------------------------------------

void print_table(const std::vector<row>& rows) {
  auto ull = [](uint64_t x) { return static_cast<unsigned long long>(x); };
  std::printf("%-12s %9s  %-50s %8s %9s %7s %7s %11s %9s\n", "", "",
              "aborted, by reason:", "lease", "", "latency", "ms", "", "");
  std::printf("%-12s %9s  %8s %9s %8s %9s %6s  %8s %9s %7s %7s %11s "
              "%9s\n",
              "mode", "committed", "no funds", "retries", "lock t/o",
              "abandoned", "other", "expiries", "conflicts", "p50", "p99",
              "transfers/s", "snapshots");
  for (auto& r : rows) {
    char conflicts[24] = "-";
    if (r.mode == "optimistic")
      std::snprintf(conflicts, sizeof(conflicts), "%llu", ull(r.conflicts));
    std::printf("%-12s %9llu  %8llu %9llu %8llu %9llu %6llu  %8llu %9s "
                "%7.2f %7.2f %11.0f %9llu\n",
                r.mode.c_str(), ull(r.committed), ull(r.insufficient),
                ull(r.exhausted), ull(r.lock_timeout), ull(r.abandoned),
                ull(r.other), ull(r.expiries), conflicts, r.p50_ms, r.p99_ms,
                r.per_second, ull(r.snapshots));
  }
  std::printf(
    "(no funds: the source could not pay; retries: wait-die aborts "
    "(pessimistic) or conflicts\n (optimistic) on every attempt; lock t/o: "
    "lock_timeout; abandoned: users who walked away\n mid-transfer (plus "
    "any transfer whose own lease ran out); lease expiries: abandoned\n "
    "transactions whose locks the lease freed and whose late commit was "
    "refused;\n conflicts: optimistic attempts refused as stale; latency: "
    "committed transfers, retries included;\n snapshots: consistent totals "
    "checked by the checker, all equal to the initial total)\n");
}

} // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0); // keeps stdout and stderr in order
  auto cfg = std::make_unique<config>();
  if (auto status = example::parse_command_line(*cfg, "bank_transfer", argc,
                                                argv))
    return *status;
  const options opts = cfg->opts; // a copy: the engine takes the config
  if (auto what = invalid(opts); !what.empty())
    return example::usage_error("bank_transfer", what);
  std::optional<example::temp_dir> tmp; // before the engine: removed after it
  entact::engine_options eopts;
  eopts.sync = opts.sync && !opts.no_sync;
  eopts.path = example::data_dir(opts.path, tmp, "bank_transfer");
  if (eopts.path.empty()) {
    std::fprintf(stderr, "cannot create a temporary directory\n");
    return 1;
  }
  auto eng = entact::engine::open(eopts, std::move(cfg));
  if (!eng) {
    std::fprintf(stderr, "cannot open %s: %s\n", eopts.path.c_str(),
                 describe(eng.error()).c_str());
    return 1;
  }
  auto& db = **eng;
  std::printf("entact bank_transfer on %s (sync %s): %u accounts of %lld, "
              "total %lld\n\n",
              eopts.path.c_str(), eopts.sync ? "on" : "off", opts.accounts,
              static_cast<long long>(initial_balance),
              static_cast<long long>(initial_balance) * opts.accounts);
  auto ids = account_ids(opts.accounts);

  auto runs = [&](std::string_view mode) {
    return opts.mode == "all" || opts.mode == mode;
  };
  std::vector<row> rows;
  auto started = steady_clock::now();
  if (runs("pessimistic"))
    rows.push_back(run_mode(db, opts, ids, "pessimistic", user_pessimistic));
  if (runs("optimistic"))
    rows.push_back(run_mode(db, opts, ids, "optimistic", user_optimistic));
  db.close();
  std::chrono::duration<double> elapsed = steady_clock::now() - started;

  print_table(rows);
  bool ok = true;
  for (auto& r : rows) {
    if (!r.ok) {
      std::printf("FAILED: %s: money appeared or vanished (see above)\n",
                  r.mode.c_str());
      ok = false;
    }
  }
  if (problems.count() > 0) {
    std::printf("FAILED: %llu unexpected problems (see stderr)\n",
                static_cast<unsigned long long>(problems.count()));
    ok = false;
  }
  std::printf("%s (%.1f s)\n",
              ok ? "OK: every snapshot summed to the initial total; no "
                   "transfer lost or half-applied."
                 : "FAILED",
              elapsed.count());
  return ok ? 0 : 1;
}
