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
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <entact/engine.hpp>
#include <entact/resolve.hpp>

#include "support/local_example.hpp"
#include "support/problem_log.hpp"
#include "support/progress_line.hpp"
#include "support/records.hpp"
#include "support/table.hpp"
#include "support/users.hpp"

namespace {

using namespace std::chrono_literals;

// -- options ------------------------------------------------------------------

struct options {
  unsigned users = 16;
  unsigned updates = 200;
  unsigned entities = 4;
  std::string mode = "all";
  example::storage_options storage; // --path, --sync, --no-sync

  void add_to(caf::config_option_adder& add) {
    add.add(users, "users", "concurrent users [16]")
      .add(updates, "updates", "increments per user [200]")
      .add(entities, "entities", "shared counters, counter/0..counter/K-1 [4]")
      .add(mode, "mode", "all|walkthrough|unprotected|optimistic|blind [all]");
    storage.add_to(add);
  }

  // What CAF cannot check; empty if the options are fine.
  std::string invalid() const {
    if (users == 0 || updates == 0 || entities == 0)
      return "--users, --updates and --entities must be at least 1";
    for (auto m : {"all", "walkthrough", "unprotected", "optimistic", "blind"})
      if (mode == m)
        return {};
    return "--mode must be all, walkthrough, unprotected, optimistic or blind";
  }
};

// Anything the demo does not expect.
example::problem_log problems;

std::string ver(entact::version_t v) {
  return "v" + std::to_string(v);
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
  if (!example::set_each(db, {id}, "Gadget", problems))
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

// A counter as a user read it.
struct counter {
  entact::version_t version = 0;
  uint64_t value = 0;
};

// Reads `id` for an increment; nothing (after a problem) if that failed.
std::optional<counter> read_counter(entact::database& db,
                                    const std::string& id) {
  auto rec = db.read(id);
  if (!rec) {
    problems.add("read " + id, rec.error());
    return std::nullopt;
  }
  auto n = parse_counter(*rec);
  if (!n)
    return std::nullopt;
  return counter{rec->version, *n};
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
  auto seen = read_counter(db, id);
  if (!seen)
    return;
  think();
  ++t.attempts;
  auto written = db.write_unconditionally(id, std::to_string(seen->value + 1));
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
  auto seen = read_counter(db, id);
  if (!seen)
    return;
  think();
  ++t.attempts;
  auto written = db.update(id, seen->version, std::to_string(seen->value + 1));
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

// Sets the counters to 0, lets every user increment randomly chosen counters
// `opts.updates` times, then reads the counters back.
row run_mode(entact::database& db, const options& opts, const char* mode,
             increment_fn increment) {
  std::printf("== %s: %u users x %u increments on %u counters\n", mode,
              opts.users, opts.updates, opts.entities);
  auto ids = example::ids_of("counter/", opts.entities);
  example::set_each(db, ids, "0", problems);
  tally t;
  example::progress_line progress{
    mode, "increments", t.done, uint64_t{opts.users} * opts.updates,
    [&t] { return std::to_string(t.conflicts.load()) + " conflicts"; }};
  double seconds = example::run_users(opts.users, [&](unsigned u) {
    std::minstd_rand rng{u + 1};
    std::uniform_int_distribution<size_t> pick{0, ids.size() - 1};
    for (unsigned i = 0; i < opts.updates; ++i) {
      increment(db, ids[pick(rng)], t);
      ++t.done;
    }
  });
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
  r.per_second = static_cast<double>(r.committed) / seconds;
  std::printf("  %llu increments acknowledged, %llu refused as conflicts; "
              "the counters sum to %llu: %lld lost%s\n\n",
              static_cast<unsigned long long>(r.committed),
              static_cast<unsigned long long>(r.conflicts),
              static_cast<unsigned long long>(stored),
              static_cast<long long>(r.lost),
              r.lost > 0 ? ", silently" : "");
  return r;
}

// -- the verdict --------------------------------------------------------------

void print_table(const std::vector<row>& rows) {
  example::table results{{{"mode", -12}, {"users", 6}, {"attempts", 9},
                          {"committed", 10}, {"conflicts", 10},
                          {"lost updates", 13}, {"updates/s", 10}}};
  for (auto& r : rows)
    results.add({r.mode, r.users, r.attempts, r.committed, r.conflicts,
                 r.lost, example::cell::fixed(r.per_second, 0)});
  results.print();
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
  example::local_example<options> run{"lost_update", argc, argv};
  if (auto status = run.exit_status())
    return *status;
  const options& opts = run.opts();
  entact::engine& db = run.engine();
  std::printf("entact lost_update demo on %s (sync %s)\n\n",
              db.options().path.c_str(), db.options().sync ? "on" : "off");

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
  db.close();

  bool ok = true;
  if (!rows.empty())
    print_table(rows);
  for (auto& r : rows)
    ok = check(r) && ok;
  return example::verdict(ok, problems, "OK: no protected update was lost.");
}
