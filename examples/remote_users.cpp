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

#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <entact/client.hpp>
#include <entact/resolve.hpp>

#include "support/common.hpp"

extern char** environ;

namespace {

using namespace std::chrono_literals;
using std::chrono::steady_clock;

constexpr int64_t initial_balance = 1000;

// -- options ----------------------------------------------------------------

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
};

// Only parses: every entact::client builds its own actor system.
class config : public caf::actor_system_config {
public:
  options opts;

  config() {
    opt_group{custom_options_, "global"}
      .add(opts.users, "users",
           "concurrent users, one client (connection) each [8]")
      .add(opts.updates, "updates",
           "increments per user in each counter mode [200]")
      .add(opts.counters, "counters",
           "shared counters, counter/0..counter/K-1 [4]")
      .add(opts.accounts, "accounts",
           "bank accounts, acct/0..acct/A-1, 1000 each [50]")
      .add(opts.transfers, "transfers", "transfers per user [200]")
      .add(opts.entactd, "entactd", "the server to start "
                                    "[<this program's dir>/../apps/entactd]")
      .add(opts.port, "port",
           "use the entactd listening on 127.0.0.1:P, start none [0: start "
           "one]")
      .add(opts.sync, "sync", "the started server syncs its WAL [on]")
      .add(opts.no_sync, "no-sync", "the started server does not sync");
  }
};

// What CAF cannot check; empty if the options are fine.
std::string invalid(const options& opts) {
  if (opts.users == 0 || opts.updates == 0 || opts.counters == 0
      || opts.transfers == 0)
    return "--users, --updates, --counters and --transfers must be at least 1";
  if (opts.accounts < 2)
    return "--accounts must be at least 2";
  return {};
}

// -- problems: anything the example does not expect ---------------------------

example::problem_log problems;

// -- the server: an entactd child process -------------------------------------

// entactd on a temporary data directory and a free port, stopped with
// SIGTERM (a clean shutdown) and removed with its data at the end.
class server_process {
public:
  // Starts `path`; empty optional (after a message) if it did not come up.
  static std::unique_ptr<server_process> start(const std::string& path,
                                               bool sync) {
    std::unique_ptr<server_process> s{new server_process};
    auto& dir = s->dir_.path();
    if (dir.empty()) {
      std::fprintf(stderr, "cannot create a temporary directory\n");
      return nullptr;
    }
    auto port_file = dir + "/port";
    std::vector<std::string> argv{path, "--data-dir=" + dir + "/data",
                                  "--port=0", "--port-file=" + port_file};
    if (!sync)
      argv.push_back("--no-sync");
    std::vector<char*> args;
    for (auto& a : argv)
      args.push_back(a.data());
    args.push_back(nullptr);
    if (::posix_spawn(&s->pid_, path.c_str(), nullptr, nullptr, args.data(),
                      environ)
        != 0) {
      std::fprintf(stderr, "cannot start %s\n", path.c_str());
      s->pid_ = -1;
      return nullptr;
    }
    auto deadline = steady_clock::now() + 30s;
    while (steady_clock::now() < deadline) {
      std::ifstream in{port_file};
      unsigned p = 0;
      if (in >> p && p > 0) {
        s->port_ = static_cast<uint16_t>(p);
        return s;
      }
      int status = 0;
      if (::waitpid(s->pid_, &status, WNOHANG) == s->pid_) {
        s->pid_ = -1;
        std::fprintf(stderr, "%s exited before listening\n", path.c_str());
        return nullptr;
      }
      std::this_thread::sleep_for(20ms);
    }
    std::fprintf(stderr, "%s did not start listening\n", path.c_str());
    return nullptr;
  }

  ~server_process() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  uint16_t port() const {
    return port_;
  }

  // SIGTERM, then waits up to 30 s; entactd's exit code, or -1.
  int stop() {
    if (pid_ <= 0)
      return -1;
    ::kill(pid_, SIGTERM);
    auto deadline = steady_clock::now() + 30s;
    while (steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(10ms);
    }
    return -1; // the destructor kills it
  }

private:
  server_process() = default;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  example::temp_dir dir_{"remote_users"}; // removed after entactd stopped
};

// Where entactd is built: <dir of this program>/../apps/entactd.
std::string default_entactd() {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec)
    return "entactd";
  return (self.parent_path().parent_path() / "apps" / "entactd").string();
}

std::unique_ptr<entact::client> connect(uint16_t port) {
  entact::client_options opts;
  opts.port = port;
  opts.worker_threads = 1; // many clients in one process on few cores
  auto c = entact::client::connect(opts);
  if (!c) {
    problems.add("connect", c.error());
    return nullptr;
  }
  return std::move(*c);
}

// One client per user, connected before the clock starts.
std::vector<std::unique_ptr<entact::client>> connect_users(uint16_t port,
                                                           unsigned n) {
  std::vector<std::unique_ptr<entact::client>> clients;
  for (unsigned i = 0; i < n; ++i) {
    auto c = connect(port);
    if (!c)
      return {};
    clients.push_back(std::move(c));
  }
  return clients;
}

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

std::vector<entact::entity_id> ids_of(const char* prefix, unsigned n) {
  std::vector<entact::entity_id> ids;
  for (unsigned i = 0; i < n; ++i)
    ids.push_back(prefix + std::to_string(i));
  return ids;
}

// Sets every id to `value`, whatever it holds now (a server given with
// --port may hold them from an earlier run), by protected writes.
bool reset_all(entact::database& db, const std::vector<entact::entity_id>& ids,
               const std::string& value) {
  for (auto& id : ids) {
    auto rec = entact::read_modify_write(
      db, id, [&](const entact::record&) { return std::optional{value}; });
    if (!rec) {
      problems.add("reset " + id, rec.error());
      return false;
    }
  }
  return true;
}

// Runs `user(u, client)` in one thread per user; returns the seconds taken.
template <class F>
double run_users(std::vector<std::unique_ptr<entact::client>>& clients,
                 F user) {
  auto start = steady_clock::now();
  std::vector<std::thread> threads;
  for (unsigned u = 0; u < clients.size(); ++u)
    threads.emplace_back([&, u] { user(u, *clients[u]); });
  for (auto& t : threads)
    t.join();
  return std::chrono::duration<double>(steady_clock::now() - start).count();
}

// -- counters: unprotected and optimistic ---------------------------------------

// The users' think time between reading and writing: widens the window in
// which another user writes, as a real user editing a form would.
void think() {
  std::this_thread::yield();
}

row counters(std::vector<std::unique_ptr<entact::client>>& clients,
             const options& opts, bool protect) {
  row r;
  r.scenario = protect ? "optimistic counters" : "unprotected counters";
  auto ids = ids_of("counter/", opts.counters);
  if (!reset_all(*clients[0], ids, "0")) {
    r.ok = false;
    return r;
  }
  std::atomic<uint64_t> acknowledged{0};
  std::atomic<uint64_t> conflicts{0};
  std::atomic<uint64_t> refused{0};
  r.seconds = run_users(clients, [&](unsigned u, entact::client& db) {
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
  auto recs = clients[0]->read_many(ids);
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

// -- bank transfers -------------------------------------------------------------

// Sums all balances, over and over, from one consistent snapshot at a time,
// through its own client, until stopped.
class checker {
public:
  checker(entact::client& db, const std::vector<entact::entity_id>& ids)
    : db_(db), ids_(ids), thread_([this] { run(); }) {
  }
  ~checker() {
    stop();
  }
  void stop() {
    stopping_ = true;
    if (thread_.joinable())
      thread_.join();
  }
  uint64_t snapshots() const {
    return snapshots_;
  }
  uint64_t bad() const {
    return bad_;
  }

private:
  void run() {
    const auto want = initial_balance * static_cast<int64_t>(ids_.size());
    while (!stopping_) {
      auto recs = db_.read_many(ids_);
      if (!recs) {
        problems.add("read_many (checker)", recs.error());
        return;
      }
      int64_t total = 0;
      for (auto& rec : *recs)
        total += example::number_of(rec).value_or(-1000000);
      ++snapshots_;
      if (total != want) {
        ++bad_;
        problems.add("a snapshot's total is " + std::to_string(total)
                     + ", expected " + std::to_string(want));
      }
      std::this_thread::sleep_for(1ms);
    }
  }

  entact::client& db_;
  const std::vector<entact::entity_id>& ids_;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> snapshots_{0};
  std::atomic<uint64_t> bad_{0};
  std::thread thread_; // last: starts once everything above is ready
};

row bank(std::vector<std::unique_ptr<entact::client>>& clients,
         entact::client& checker_client, const options& opts) {
  row r;
  r.scenario = "bank transfers";
  auto ids = ids_of("acct/", opts.accounts);
  if (!reset_all(*clients[0], ids, std::to_string(initial_balance))) {
    r.ok = false;
    return r;
  }
  std::atomic<uint64_t> acknowledged{0};
  std::atomic<uint64_t> no_funds_total{0};
  std::atomic<uint64_t> refused{0};
  std::atomic<bool> uncertain{false};
  // The ledger: each user's acknowledged effect on each account.
  std::vector<std::vector<int64_t>> delta(clients.size(),
                                          std::vector<int64_t>(ids.size()));
  checker check{checker_client, ids};
  r.seconds = run_users(clients, [&](unsigned u, entact::client& db) {
    std::minstd_rand rng{u + 101};
    std::uniform_int_distribution<size_t> account(0, ids.size() - 1);
    std::uniform_int_distribution<int64_t> amount(1, 300);
    for (unsigned i = 0; i < opts.transfers; ++i) {
      auto from = account(rng);
      auto to = account(rng);
      while (to == from)
        to = account(rng);
      auto sum = amount(rng);
      bool no_funds = false;
      auto body = [&](entact::transaction& txn) -> caf::error {
        no_funds = false;
        auto a = txn.get(ids[from]);
        auto b = txn.get(ids[to]);
        if (!a || !b)
          return entact::make_error(entact::errc::invalid_argument,
                                    "unlocked account");
        auto fa = example::number_of(*a);
        auto fb = example::number_of(*b);
        if (!fa || !fb)
          return entact::make_error(entact::errc::invalid_argument,
                                    "not a balance");
        if (*fa < sum) {
          no_funds = true;
          return entact::make_error(entact::errc::aborted, "no funds");
        }
        if (auto err = txn.put(ids[from], std::to_string(*fa - sum)))
          return err;
        return txn.put(ids[to], std::to_string(*fb + sum));
      };
      // Wait-die aborts and conflicts are retried inside transact (with
      // backoff, keeping the transfer's age); what comes back is final.
      auto done = db.transact({ids[from], ids[to]}, body);
      if (done) {
        ++acknowledged;
        delta[u][from] -= sum;
        delta[u][to] += sum;
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
        uncertain = true;
      problems.add("transact", done.error());
    }
  });
  check.stop();
  // Final balances against the ledger of acknowledged transfers.
  std::vector<int64_t> expected(ids.size(), initial_balance);
  for (auto& d : delta)
    for (size_t i = 0; i < ids.size(); ++i)
      expected[i] += d[i];
  size_t wrong = 0;
  int64_t total = 0;
  auto recs = clients[0]->read_many(ids);
  if (!recs) {
    problems.add("read_many (final)", recs.error());
    r.ok = false;
    return r;
  }
  for (size_t i = 0; i < ids.size(); ++i) {
    auto n = example::number_of((*recs)[i]);
    total += n.value_or(0);
    wrong += !n || *n != expected[i] || *n < 0 ? 1 : 0;
  }
  r.acknowledged = acknowledged;
  r.refused = refused;
  r.outcome = std::to_string(check.snapshots()) + " snapshots, "
              + std::to_string(check.bad()) + " wrong; "
              + std::to_string(wrong) + " accounts off the ledger ("
              + std::to_string(no_funds_total.load()) + " lacked funds)";
  const auto want = initial_balance * static_cast<int64_t>(ids.size());
  if (check.bad() > 0 || total != want || (wrong > 0 && !uncertain))
    r.ok = false;
  return r;
}

void print_table(const std::vector<row>& rows) {
  auto ull = [](uint64_t x) { return static_cast<unsigned long long>(x); };
  std::printf("\n%-21s %12s %9s %8s %7s  %s\n", "scenario", "acknowledged",
              "conflicts", "gave up", "s", "stored data");
  for (auto& r : rows)
    std::printf("%-21s %12llu %9s %8llu %7.2f  %s%s\n", r.scenario.c_str(),
                ull(r.acknowledged), r.retried.c_str(), ull(r.refused),
                r.seconds, r.outcome.c_str(), r.ok ? "" : "  <-- VIOLATION");
  std::printf("(acknowledged: increments or transfers the users were told "
              "succeeded; conflicts: stale\n writes refused and retried; gave "
              "up: out of retries, and the user was told; lost:\n "
              "acknowledged increments missing from the stored counters)\n");
}

} // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0); // keeps stdout and stderr in order
  config cfg;
  if (auto status = example::parse_command_line(cfg, "remote_users", argc,
                                                argv))
    return *status;
  const options& opts = cfg.opts;
  if (auto what = invalid(opts); !what.empty())
    return example::usage_error("remote_users", what);
  const bool sync = opts.sync && !opts.no_sync;
  std::unique_ptr<server_process> server;
  uint16_t port = opts.port;
  if (port == 0) {
    auto path = opts.entactd.empty() ? default_entactd() : opts.entactd;
    if (::access(path.c_str(), X_OK) != 0) {
      std::fprintf(stderr,
                   "no entactd at %s: build it (target entactd), or pass "
                   "--entactd=PATH or --port=P\n",
                   path.c_str());
      return 1;
    }
    server = server_process::start(path, sync);
    if (!server)
      return 1;
    port = server->port();
    std::printf("started %s on 127.0.0.1:%u (sync %s)\n", path.c_str(),
                unsigned{port}, sync ? "on" : "off");
  } else {
    std::printf("using the entactd on 127.0.0.1:%u\n", unsigned{port});
  }

  bool ok = true;
  std::vector<row> rows;
  {
    auto clients = connect_users(port, opts.users);
    auto checker_client = connect(port);
    if (clients.empty() || !checker_client) {
      std::fprintf(stderr, "cannot connect to 127.0.0.1:%u\n",
                   unsigned{port});
      return 1;
    }
    std::printf("%u users, one connection each: %u increments each on %u "
                "counters, then %u transfers each between %u accounts\n",
                opts.users, opts.updates, opts.counters, opts.transfers,
                opts.accounts);
    rows.push_back(counters(clients, opts, false));
    rows.push_back(counters(clients, opts, true));
    rows.push_back(bank(clients, *checker_client, opts));
  } // every client closes here, before the server stops

  print_table(rows);
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
  if (problems.count() > 0) {
    std::printf("FAILED: %llu unexpected problems (see stderr)\n",
                static_cast<unsigned long long>(problems.count()));
    ok = false;
  }
  std::printf("%s\n", ok ? "OK: no acknowledged update lost, every snapshot "
                           "summed to the initial total."
                         : "FAILED");
  return ok ? 0 : 1;
}
