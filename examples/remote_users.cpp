// remote_users: the lost-update and bank simulations, with the users in
// another process than the database, talking to entactd over loopback.
//
// The program starts an entactd of its own on a temporary data directory
// (or uses one already running: --port), then runs N user threads, each
// with its own entact::client (its own connection), through:
//
//   unprotected  counters: read, add 1, write_unconditionally (last write
//                wins). Increments are lost, and nobody is told: shown, not
//                a failure.
//   optimistic   counters: entact::read_modify_write. A write based on a
//                stale version is refused with a conflict and retried; the
//                stored counters must account for every acknowledged
//                increment: 0 lost.
//   bank         money moves between accounts in client.transact({from,
//                to}, body): the server locks both accounts for this client
//                (wait-die, retried), the body reads and stages both new
//                balances, they commit atomically. A checker (its own
//                client) sums all balances from consistent read_many
//                snapshots meanwhile: the total must never change, and the
//                final balances must match the ledger of acknowledged
//                transfers.
//
// It ends with a table and stops the server it started (SIGTERM, which
// entactd answers with a clean shutdown). Exit status 1 on any violation:
// an optimistic update lost, a wrong snapshot total, a ledger mismatch, an
// unexpected error, or a server that did not stop cleanly.
//
// Run it (from the build directory, where apps/entactd is built too):
//   ./examples/remote_users
//   ./examples/remote_users --users=16 --updates=200 --transfers=300
//   ./examples/remote_users --port=7411     an entactd already running
//   ./examples/remote_users --help          the options, with their defaults
//
// Options are read by CAF's config system (`--name=value`, or the same keys
// in an ini file given with --config-file=FILE).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <entact/client.hpp>
#include <entact/resolve.hpp>

#include "support/clients.hpp"
#include "support/command_line.hpp"
#include "support/entactd_process.hpp"
#include "support/ledger.hpp"
#include "support/problem_log.hpp"
#include "support/records.hpp"
#include "support/snapshot_checker.hpp"
#include "support/table.hpp"
#include "support/transfers.hpp"
#include "support/users.hpp"

namespace {

using namespace std::chrono_literals;

constexpr int64_t initial_balance = 1000;

// -- options ------------------------------------------------------------------

struct options {
  unsigned users = 8;
  unsigned updates = 200;
  unsigned counters = 4;
  unsigned accounts = 50;
  unsigned transfers = 200;
  std::string entactd; // empty: next to this program
  uint16_t port = 0;   // 0: start a server
  bool sync = true;
  bool no_sync = false; // on the command line a bool can only be turned on

  void add_to(caf::config_option_adder& add) {
    add.add(users, "users",
            "concurrent users, one client (connection) each [8]")
      .add(updates, "updates", "increments per user in each counter mode [200]")
      .add(counters, "counters", "shared counters, counter/0..counter/K-1 [4]")
      .add(accounts, "accounts",
           "bank accounts, acct/0..acct/A-1, 1000 each [50]")
      .add(transfers, "transfers", "transfers per user [200]")
      .add(entactd, "entactd",
           "the server to start [<this program's dir>/../apps/entactd]")
      .add(port, "port",
           "use the entactd listening on 127.0.0.1:P, start none [0: start "
           "one]")
      .add(sync, "sync", "the started server syncs its WAL [on]")
      .add(no_sync, "no-sync", "the started server does not sync");
  }

  // What CAF cannot check; empty if the options are fine.
  std::string invalid() const {
    if (users == 0 || updates == 0 || counters == 0 || transfers == 0)
      return "--users, --updates, --counters and --transfers must be at "
             "least 1";
    if (accounts < 2)
      return "--accounts must be at least 2";
    return {};
  }
};

// Only parses: every entact::client builds its own actor system.
using config = example::options_config<options>;

// Anything the example does not expect.
example::problem_log problems;

// One client, its own connection, per user, connected before the clock
// starts.
using clients = std::vector<std::unique_ptr<entact::client>>;

// One line of the final table.
struct row {
  std::string scenario;
  uint64_t acknowledged = 0; // increments or transfers acknowledged
  std::string retried = "-"; // conflicts (counters), not seen by transact
  uint64_t refused = 0;      // refused for good, and the user was told
  std::string outcome;       // what the stored data says
  double seconds = 0;
  bool ok = true;
};

// -- counters: unprotected and optimistic -------------------------------------

// The users' think time between reading and writing: widens the window in
// which another user writes, as a real user editing a form would.
void think() {
  std::this_thread::yield();
}

row counters(clients& users, const options& opts, bool protect) {
  row r;
  r.scenario = protect ? "optimistic counters" : "unprotected counters";
  auto ids = example::ids_of("counter/", opts.counters);
  if (!example::set_each(*users[0], ids, "0", problems)) {
    r.ok = false;
    return r;
  }
  std::atomic<uint64_t> acknowledged{0};
  std::atomic<uint64_t> conflicts{0};
  std::atomic<uint64_t> refused{0};
  r.seconds = example::run_users(opts.users, [&](unsigned u) {
    entact::client& db = *users[u];
    std::minstd_rand rng{u + 1};
    std::uniform_int_distribution<size_t> pick(0, ids.size() - 1);
    for (unsigned i = 0; i < opts.updates; ++i) {
      auto& id = ids[pick(rng)];
      if (!protect) {
        // Read, add 1, write whatever is there: last write wins.
        auto cur = db.read(id);
        if (!cur) {
          problems.add("read " + id, cur.error());
          continue;
        }
        auto n = example::number_of(*cur);
        think();
        auto w = db.write_unconditionally(id, std::to_string(n.value_or(0)
                                                             + 1));
        if (w)
          ++acknowledged;
        else
          problems.add("write_unconditionally " + id, w.error());
        continue;
      }
      // The same edit, refused when stale and retried from the new value.
      entact::retry_policy policy;
      policy.max_attempts = 100;
      policy.max_backoff = 10ms;
      entact::retry_stats stats;
      auto rec = entact::read_modify_write(
        db, id,
        [](const entact::record& cur) -> std::optional<std::string> {
          auto n = example::number_of(cur);
          if (!n)
            return std::nullopt;
          think();
          return std::to_string(*n + 1);
        },
        policy, &stats);
      conflicts += stats.conflicts;
      if (rec)
        ++acknowledged;
      else if (entact::is_conflict(rec.error()))
        ++refused; // out of attempts: the user is told, nothing is lost
      else
        problems.add("read_modify_write " + id, rec.error());
    }
  });
  // What is stored, not what the users believe.
  auto recs = users[0]->read_many(ids);
  if (!recs) {
    problems.add("read_many (counters)", recs.error());
    r.ok = false;
    return r;
  }
  int64_t total = 0;
  for (auto& rec : *recs)
    total += example::number_of(rec).value_or(0);
  auto lost = static_cast<int64_t>(acknowledged.load()) - total;
  r.acknowledged = acknowledged;
  r.retried = protect ? std::to_string(conflicts.load()) : "-";
  r.refused = refused;
  r.outcome = "stored sum " + std::to_string(total) + ", lost "
              + std::to_string(lost);
  if (protect && lost != 0)
    r.ok = false;
  if (!protect)
    r.outcome += lost > 0 ? " (last write wins)" : " (lucky: none lost)";
  return r;
}

// -- bank transfers -----------------------------------------------------------

row bank(clients& users, entact::client& checker_client,
         const options& opts) {
  row r;
  r.scenario = "bank transfers";
  auto ids = example::ids_of("acct/", opts.accounts);
  if (!example::set_each(*users[0], ids, std::to_string(initial_balance),
                         problems)) {
    r.ok = false;
    return r;
  }
  std::atomic<uint64_t> acknowledged{0};
  std::atomic<uint64_t> no_funds_total{0};
  std::atomic<uint64_t> refused{0};
  example::ledger book{opts.users, ids.size()}; // what the users were told
  // Sums all balances from consistent snapshots, through its own client.
  example::snapshot_checker check{
    checker_client, ids, initial_balance * static_cast<int64_t>(ids.size()),
    problems};
  r.seconds = example::run_users(opts.users, [&](unsigned u) {
    entact::client& db = *users[u];
    example::transfer_source draws{u + 101, ids.size(), 300};
    for (unsigned i = 0; i < opts.transfers; ++i) {
      auto tr = draws.next();
      bool no_funds = false;
      auto body = [&](entact::transaction& txn) -> caf::error {
        no_funds = false;
        auto a = txn.get(ids[tr.from]);
        auto b = txn.get(ids[tr.to]);
        if (!a || !b)
          return entact::make_error(entact::errc::invalid_argument,
                                    "unlocked account");
        auto fa = example::number_of(*a);
        auto fb = example::number_of(*b);
        if (!fa || !fb)
          return entact::make_error(entact::errc::invalid_argument,
                                    "not a balance");
        if (*fa < tr.amount) {
          no_funds = true;
          return entact::make_error(entact::errc::aborted, "no funds");
        }
        if (auto err = txn.put(ids[tr.from], std::to_string(*fa - tr.amount)))
          return err;
        return txn.put(ids[tr.to], std::to_string(*fb + tr.amount));
      };
      // Wait-die aborts and conflicts are retried inside transact (with
      // backoff, keeping the transfer's age); what comes back is final.
      auto done = db.transact({ids[tr.from], ids[tr.to]}, body);
      if (done) {
        ++acknowledged;
        book.transfer(u, tr.from, tr.to, tr.amount);
        continue;
      }
      auto c = entact::code_of(done.error());
      if (no_funds) {
        ++no_funds_total; // the source could not pay: nothing written
        continue;
      }
      if (c == entact::errc::retries_exhausted
          || c == entact::errc::lock_timeout) {
        ++refused; // retries spent: told, and nothing written
        continue;
      }
      if (c == entact::errc::timeout || c == entact::errc::in_doubt)
        book.outcome_unknown(u);
      problems.add("transact", done.error());
    }
  });
  check.stop();
  // Final balances against the ledger of acknowledged transfers.
  auto audit = example::audit_balances(*users[0], ids, book, initial_balance,
                                       problems);
  r.acknowledged = acknowledged;
  r.refused = refused;
  r.outcome = std::to_string(check.snapshots()) + " snapshots, "
              + std::to_string(check.wrong()) + " wrong; "
              + std::to_string(audit.differ) + " accounts off the ledger ("
              + std::to_string(no_funds_total.load()) + " lacked funds)";
  r.ok = check.wrong() == 0 && audit.ok();
  return r;
}

void print_table(const std::vector<row>& rows) {
  example::table results{{{"scenario", -21},
                          {"acknowledged", 12},
                          {"conflicts", 9},
                          {"gave up", 8},
                          {"s", 7},
                          {"stored data", 0, 2}}};
  for (auto& r : rows)
    results.add({r.scenario, r.acknowledged, r.retried, r.refused,
                 example::cell::fixed(r.seconds, 2),
                 r.outcome + (r.ok ? "" : "  <-- VIOLATION")});
  std::printf("\n");
  results.print();
  std::printf("(acknowledged: increments or transfers the users were told "
              "succeeded; conflicts: stale\n writes refused and retried; gave "
              "up: out of retries, and the user was told; lost:\n "
              "acknowledged increments missing from the stored counters)\n");
}

} // namespace

int main(int argc, char** argv) {
  config cfg;
  if (auto status = example::parse_command_line(cfg, "remote_users", argc,
                                                argv))
    return *status;
  const options& opts = cfg.opts;
  const bool sync = opts.sync && !opts.no_sync;
  std::unique_ptr<example::entactd_process> server;
  uint16_t port = opts.port;
  if (port == 0) {
    server = example::entactd_process::start(opts.entactd, sync,
                                             "remote_users");
    if (!server)
      return 1;
    port = server->port();
    std::printf("started %s on 127.0.0.1:%u (sync %s)\n",
                server->path().c_str(), unsigned{port}, sync ? "on" : "off");
  } else {
    std::printf("using the entactd on 127.0.0.1:%u\n", unsigned{port});
  }

  std::vector<row> rows;
  {
    auto users = example::connect_users(port, opts.users, problems);
    auto checker_client = example::connect(port, problems);
    if (users.empty() || !checker_client) {
      std::fprintf(stderr, "cannot connect to 127.0.0.1:%u\n",
                   unsigned{port});
      return 1;
    }
    std::printf("%u users, one connection each: %u increments each on %u "
                "counters, then %u transfers each between %u accounts\n",
                opts.users, opts.updates, opts.counters, opts.transfers,
                opts.accounts);
    rows.push_back(counters(users, opts, false));
    rows.push_back(counters(users, opts, true));
    rows.push_back(bank(users, *checker_client, opts));
  } // every client closes here, before the server stops

  print_table(rows);
  bool ok = true;
  for (auto& r : rows)
    ok = ok && r.ok;
  if (server) {
    auto code = server->stop();
    std::printf("stopped entactd: exit code %d\n", code);
    if (code != 0) {
      problems.add("entactd did not stop cleanly");
      ok = false;
    }
  }
  return example::verdict(ok, problems,
                          "OK: no acknowledged update lost, every snapshot "
                          "summed to the initial total.");
}
