// lost_update: the lost-update problem, and how entact prevents it.
//
// Two users read "Gadget"; A saves "Super Gadget", B saves "Amazing Gadget";
// with last-write-wins A's update is silently gone. This program shows that
// happening, and shows entact refusing it. N users (one thread each) add 1,
// M times, to a few shared counters by read-modify-write:
//
//   walkthrough  one conflict narrated step by step, then the four ways to
//                resolve it: retry, database wins, client wins, merge
//   unprotected  read, add 1, write_unconditionally (last write wins):
//                increments are lost, and nobody is told
//   optimistic   entact::read_modify_write: a write based on a stale
//                version is refused with a conflict and retried; none lost
//   blind        update at the version read, no retry: stale writes are
//                refused and reported to their user, never silently dropped
//
// Each mode reads the counters back at the end and counts the lost updates
// from what is stored, not from what the users think they wrote. The program
// exits with 1 if a protected mode (optimistic, blind) lost an update or a
// call failed unexpectedly.
//
// Run it:
//   ./lost_update                          all modes on a temporary database
//   ./lost_update --mode=optimistic --users=32 --updates=100
//   ./lost_update --help                   the options, with their defaults
//
// Options are read by CAF's config system (`--name=value`, or the same keys
// in an ini file given with --config-file=FILE) into the same
// `entact::config` the engine then runs on.

#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <entact/engine.hpp>
#include <entact/resolve.hpp>

#include "support/common.hpp"

namespace {

using namespace std::chrono_literals;
using std::chrono::steady_clock;

// -- options ----------------------------------------------------------------

struct options {
  unsigned users = 16;
  unsigned updates = 200;
  unsigned entities = 4;
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
      .add(opts.users, "users", "concurrent users [16]")
      .add(opts.updates, "updates", "increments per user [200]")
      .add(opts.entities, "entities",
           "shared counters, counter/0..counter/K-1 [4]")
      .add(opts.mode, "mode",
           "all|walkthrough|unprotected|optimistic|blind [all]")
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
  if (opts.users == 0 || opts.updates == 0 || opts.entities == 0)
    return "--users, --updates and --entities must be at least 1";
  for (auto mode : {"all", "walkthrough", "unprotected", "optimistic", "blind"})
    if (opts.mode == mode)
      return {};
  return "--mode must be all, walkthrough, unprotected, optimistic or blind";
}

// -- problems: anything the demo does not expect ------------------------------

using example::describe;

example::problem_log problems;

std::string ver(entact::version_t v) {
  return "v" + std::to_string(v);
}

// Sets `id` to `value` whatever it holds now (a rerun on a kept --path finds
// it at a later version). A protected write, like every write here that is
// not deliberately unprotected.
bool reset(entact::database& db, const std::string& id,
           const std::string& value) {
  auto rec = entact::read_modify_write(
    db, id, [&](const entact::record&) { return std::optional{value}; });
  if (!rec)
    problems.add("reset " + id, rec.error());
  return static_cast<bool>(rec);
}

// -- 1. walkthrough -----------------------------------------------------------

// User A's view at the moment its save was refused.
struct staged_conflict {
  std::string original;      // what A read
  entact::conflict conflict; // why A's save was refused
};

// Plays the story on `id`: A reads "Gadget", someone else saves "Super
// Gadget", then A saves "Amazing Gadget" based on what it read.
std::optional<staged_conflict> stage_conflict(entact::database& db,
                                              const std::string& id,
                                              bool narrate) {
  if (!reset(db, id, "Gadget"))
    return std::nullopt;
  auto seen = db.read(id); // A opens the edit form
  if (!seen) {
    problems.add("read " + id, seen.error());
    return std::nullopt;
  }
  auto other = db.update(id, seen->version, "Super Gadget"); // B is faster
  if (!other) {
    problems.add("update " + id, other.error());
    return std::nullopt;
  }
  auto mine = db.update(id, seen->version, "Amazing Gadget"); // A saves
  if (narrate) {
    std::printf("  A reads   %s = \"%s\" (%s)\n", id.c_str(),
                seen->value.c_str(), ver(seen->version).c_str());
    std::printf("  B saves   \"Super Gadget\" based on %s -> stored as %s\n",
                ver(seen->version).c_str(), ver(other->version).c_str());
    std::printf("  A saves   \"Amazing Gadget\" based on %s -> %s\n",
                ver(seen->version).c_str(),
                mine ? "ACCEPTED (B's update is lost!)" : "refused");
  }
  if (mine) {
    problems.add("a stale update of " + id + " was accepted");
    return std::nullopt;
  }
  auto c = entact::conflict_of(mine.error());
  if (!c) {
    problems.add("update " + id, mine.error());
    return std::nullopt;
  }
  return staged_conflict{seen->value, *c};
}

void print_conflict(const entact::conflict& c) {
  std::printf("\n  entact::conflict_of(err) tells A what happened:\n");
  std::printf("    expected version  %s (what A read)\n",
              ver(c.expected_version).c_str());
  std::printf("    stored version    %s\n", ver(c.stored.version).c_str());
  std::printf("    stored value      %s\n",
              c.stored.exists() ? ("\"" + c.stored.value + "\"").c_str()
                                : "(deleted)");
  std::printf("    attempted value   \"%s\"\n", c.attempted_value.c_str());
}

using resolver = std::function<caf::expected<entact::record>(
  entact::database&, const staged_conflict&)>;

// Stages the conflict again on `id`, resolves it with `resolve`, and checks
// that what is stored now is `expected`.
void show_resolution(entact::database& db, const std::string& id,
                     const char* how, const std::string& expected,
                     const resolver& resolve) {
  auto staged = stage_conflict(db, id, false);
  if (!staged)
    return;
  if (auto rec = resolve(db, *staged); !rec) {
    problems.add(std::string{how} + " on " + id, rec.error());
    return;
  }
  auto stored = db.read(id);
  if (!stored) {
    problems.add("read " + id, stored.error());
    return;
  }
  std::printf("  %-46s -> \"%s\" (%s)\n", how, stored->value.c_str(),
              ver(stored->version).c_str());
  if (stored->value != expected)
    problems.add(id + " holds \"" + stored->value + "\", expected \""
                 + expected + "\"");
}

// Both renamed "Gadget": keep both new names.
std::optional<std::string> merge_names(const std::string& original,
                                       const std::string& attempted,
                                       const entact::record& stored) {
  if (!stored.exists() || stored.value == original)
    return attempted; // nobody else changed it (or it is gone): ours
  return stored.value + " / " + attempted;
}

void walkthrough(entact::database& db) {
  std::printf("== walkthrough: one conflict, step by step\n\n"
              "  User A opens a product to rename it; meanwhile user B "
              "renames it too.\n\n");
  auto staged = stage_conflict(db, "product/1", true);
  if (!staged) {
    std::printf("\n");
    return;
  }
  print_conflict(staged->conflict);

  std::printf("\n  Four ways to resolve it, each on a fresh copy of the "
              "situation; stored now:\n");
  show_resolution(db, "product/2",
                  "retry (read_modify_write: \"Amazing \" + name)",
                  "Amazing Super Gadget", [](auto& db, auto& s) {
                    return entact::read_modify_write(
                      db, s.conflict.id, [](const entact::record& r) {
                        return std::optional{"Amazing " + r.value};
                      });
                  });
  show_resolution(db, "product/3",
                  "database wins (resolve_database_wins)",
                  "Super Gadget", [](auto& db, auto& s) {
                    return entact::resolve_database_wins(db, s.conflict);
                  });
  show_resolution(db, "product/4",
                  "client wins (resolve_client_wins)",
                  "Amazing Gadget", [](auto& db, auto& s) {
                    return entact::resolve_client_wins(db, s.conflict);
                  });
  show_resolution(db, "product/5",
                  "merge (resolve_merge: keep both names)",
                  "Super Gadget / Amazing Gadget", [](auto& db, auto& s) {
                    return entact::resolve_merge(db, s.conflict, s.original,
                                                 merge_names);
                  });
  std::printf("\n");
}

// -- 2-4. the simulation: users incrementing shared counters ------------------

// What one mode's users did, counted across their threads.
struct tally {
  std::atomic<uint64_t> attempts{0};  // writes sent
  std::atomic<uint64_t> committed{0}; // writes acknowledged
  std::atomic<uint64_t> conflicts{0}; // writes refused as stale
  std::atomic<uint64_t> gave_up{0};   // increments refused for good
  std::atomic<uint64_t> done{0};      // increments finished, for progress
};

std::optional<uint64_t> parse_counter(const entact::record& rec) {
  auto n = example::number_of(rec);
  if (!n || *n < 0) {
    problems.add(rec.id + " holds \"" + rec.value + "\", not a counter");
    return std::nullopt;
  }
  return static_cast<uint64_t>(*n);
}

// The user's think time between reading and writing. It widens the window
// in which another user can write, so the race shows even on two cores.
void think() {
  std::this_thread::yield();
}

// Unprotected: read, add 1, write whatever is there now. Two users who read
// the same value both write value+1: one increment is gone, nobody is told.
void increment_unprotected(entact::database& db, const std::string& id,
                           tally& t) {
  auto rec = db.read(id);
  if (!rec)
    return problems.add("read " + id, rec.error());
  auto n = parse_counter(*rec);
  if (!n)
    return;
  think();
  ++t.attempts;
  auto written = db.write_unconditionally(id, std::to_string(*n + 1));
  if (!written)
    return problems.add("write_unconditionally " + id, written.error());
  ++t.committed;
}

// Optimistic: the same edit through read_modify_write. A write based on a
// stale version is refused; the helper starts over from the stored record.
void increment_optimistic(entact::database& db, const std::string& id,
                          tally& t) {
  // 4 users per counter on average is heavy contention: allow more attempts
  // than the default policy, with shorter waits between them.
  entact::retry_policy policy;
  policy.max_attempts = 100;
  policy.max_backoff = 10ms;
  entact::retry_stats stats;
  auto add_one = [](const entact::record& r) -> std::optional<std::string> {
    auto n = parse_counter(r);
    if (!n)
      return std::nullopt; // gives up: read_modify_write returns `aborted`
    think();
    return std::to_string(*n + 1);
  };
  auto rec = entact::read_modify_write(db, id, add_one, policy, &stats);
  t.attempts += stats.attempts;
  t.conflicts += stats.conflicts;
  if (rec)
    ++t.committed;
  else if (entact::is_conflict(rec.error()))
    ++t.gave_up; // out of attempts: the user is told, nothing is lost
  else
    problems.add("read_modify_write " + id, rec.error());
}

// Blind: update at the version read, once. A stale write is refused with a
// conflict, and the user is told that the increment did not happen.
void increment_blind(entact::database& db, const std::string& id, tally& t) {
  auto rec = db.read(id);
  if (!rec)
    return problems.add("read " + id, rec.error());
  auto n = parse_counter(*rec);
  if (!n)
    return;
  think();
  ++t.attempts;
  auto written = db.update(id, rec->version, std::to_string(*n + 1));
  if (written)
    ++t.committed;
  else if (entact::is_conflict(written.error()))
    ++t.conflicts;
  else
    problems.add("update " + id, written.error());
}

using increment_fn = void (*)(entact::database&, const std::string&, tally&);

// One line of the final table.
struct row {
  std::string mode;
  unsigned users = 0;
  uint64_t attempts = 0;
  uint64_t committed = 0;
  uint64_t conflicts = 0;
  uint64_t gave_up = 0;
  int64_t lost = 0; // acknowledged increments missing from the stored data
  double per_second = 0;
};

std::vector<std::string> counter_ids(unsigned n) {
  std::vector<std::string> ids;
  for (unsigned i = 0; i < n; ++i)
    ids.push_back("counter/" + std::to_string(i));
  return ids;
}

// Sets the counters to 0, lets every user increment randomly chosen counters
// `opts.updates` times, then reads the counters back.
row run_mode(entact::database& db, const options& opts, const char* mode,
             increment_fn increment) {
  std::printf("== %s: %u users x %u increments on %u counters\n", mode,
              opts.users, opts.updates, opts.entities);
  auto ids = counter_ids(opts.entities);
  for (auto& id : ids)
    reset(db, id, "0");
  tally t;
  example::progress_line progress{
    mode, "increments", t.done, uint64_t{opts.users} * opts.updates,
    [&t] { return std::to_string(t.conflicts.load()) + " conflicts"; }};
  auto start = steady_clock::now();
  std::vector<std::thread> users;
  for (unsigned u = 0; u < opts.users; ++u)
    users.emplace_back([&, u] {
      std::minstd_rand rng{u + 1};
      std::uniform_int_distribution<size_t> pick{0, ids.size() - 1};
      for (unsigned i = 0; i < opts.updates; ++i) {
        increment(db, ids[pick(rng)], t);
        ++t.done;
      }
    });
  for (auto& user : users)
    user.join();
  std::chrono::duration<double> elapsed = steady_clock::now() - start;
  progress.stop();

  // Verified, not just counted: what is stored is the truth.
  uint64_t stored = 0;
  for (auto& id : ids) {
    auto rec = db.read(id);
    if (!rec)
      problems.add("read " + id, rec.error());
    else if (auto n = parse_counter(*rec))
      stored += *n;
  }
  row r{mode, opts.users, t.attempts, t.committed, t.conflicts, t.gave_up};
  r.lost = static_cast<int64_t>(r.committed) - static_cast<int64_t>(stored);
  r.per_second = static_cast<double>(r.committed) / elapsed.count();
  std::printf("  %llu increments acknowledged, %llu refused as conflicts; "
              "the counters sum to %llu: %lld lost%s\n\n",
              static_cast<unsigned long long>(r.committed),
              static_cast<unsigned long long>(r.conflicts),
              static_cast<unsigned long long>(stored),
              static_cast<long long>(r.lost),
              r.lost > 0 ? ", silently" : "");
  return r;
}

// -- the verdict -------------------------------------------------------------

void print_table(const std::vector<row>& rows) {
  std::printf("%-12s %6s %9s %10s %10s %13s %10s\n", "mode", "users",
              "attempts", "committed", "conflicts", "lost updates",
              "updates/s");
  for (auto& r : rows)
    std::printf("%-12s %6u %9llu %10llu %10llu %13lld %10.0f\n",
                r.mode.c_str(), r.users,
                static_cast<unsigned long long>(r.attempts),
                static_cast<unsigned long long>(r.committed),
                static_cast<unsigned long long>(r.conflicts),
                static_cast<long long>(r.lost), r.per_second);
  std::printf("(lost updates: increments acknowledged to a user but missing "
              "from the counters read back)\n");
}

// Returns false if a protected mode lost an update or miscounted.
bool check(const row& r) {
  if (r.mode == "unprotected") {
    if (r.lost == 0)
      std::printf("note: unprotected lost nothing this time; it is a race "
                  "(try more --users).\n");
    return true;
  }
  bool ok = r.lost == 0;
  if (!ok)
    std::printf("FAILED: %s lost %lld updates\n", r.mode.c_str(),
                static_cast<long long>(r.lost));
  if (r.gave_up > 0)
    std::printf("note: %s: %llu of %llu increments ran out of retries under "
                "this contention; their users were told (not lost)\n",
                r.mode.c_str(), static_cast<unsigned long long>(r.gave_up),
                static_cast<unsigned long long>(r.committed + r.gave_up));
  if (r.mode == "blind" && r.committed + r.conflicts != r.attempts) {
    std::printf("FAILED: blind: %llu committed + %llu refused != %llu sent\n",
                static_cast<unsigned long long>(r.committed),
                static_cast<unsigned long long>(r.conflicts),
                static_cast<unsigned long long>(r.attempts));
    ok = false;
  }
  return ok;
}

} // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0); // keeps stdout and stderr in order
  auto cfg = std::make_unique<config>();
  if (auto status = example::parse_command_line(*cfg, "lost_update", argc,
                                                argv))
    return *status;
  const options opts = cfg->opts; // a copy: the engine takes the config
  if (auto what = invalid(opts); !what.empty())
    return example::usage_error("lost_update", what);
  std::optional<example::temp_dir> tmp; // before the engine: removed after it
  entact::engine_options eopts;
  eopts.sync = opts.sync && !opts.no_sync;
  eopts.path = example::data_dir(opts.path, tmp, "lost_update");
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
  entact::database& db = **eng;
  std::printf("entact lost_update demo on %s (sync %s)\n\n",
              eopts.path.c_str(), eopts.sync ? "on" : "off");

  auto runs = [&](std::string_view mode) {
    return opts.mode == "all" || opts.mode == mode;
  };
  std::vector<row> rows;
  if (runs("walkthrough"))
    walkthrough(db);
  if (runs("unprotected"))
    rows.push_back(run_mode(db, opts, "unprotected", increment_unprotected));
  if (runs("optimistic"))
    rows.push_back(run_mode(db, opts, "optimistic", increment_optimistic));
  if (runs("blind"))
    rows.push_back(run_mode(db, opts, "blind", increment_blind));
  (*eng)->close();

  bool ok = true;
  if (!rows.empty())
    print_table(rows);
  for (auto& r : rows)
    ok = check(r) && ok;
  if (problems.count() > 0) {
    std::printf("FAILED: %llu unexpected problems (see stderr)\n",
                static_cast<unsigned long long>(problems.count()));
    ok = false;
  }
  std::printf("%s\n", ok ? "OK: no protected update was lost."
                         : "FAILED");
  return ok ? 0 : 1;
}
