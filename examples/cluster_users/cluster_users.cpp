// cluster_users: N simulated users editing shared counters on a cluster of
// entactd nodes, through `entact::connect_cluster`, while a node dies and
// comes back. run.sh beside this file starts everything (ZooKeeper, the
// cluster, 3 nodes), kills one node with SIGKILL mid-run, restarts it, and
// stops everything it started; this program is the users and the check.
//
// Each user, until the time is up, picks a counter and adds 1 with
// entact::read_modify_write: a versioned update, retried on conflict from
// the stored value. What each call answered is counted per counter:
//
//   acknowledged   the increment is durable on the owning node
//   unavailable    refused (its node is down or fenced): definitely not
//                  applied
//   unknown        the node died with the call in flight (`unreachable`,
//                  `timeout`): applied or not
//
// At the end, once every counter can be read again, each must hold between
// its acknowledged increments and those plus its unknown ones: an
// acknowledged increment that is missing is a lost write (FAIL, exit 1).
//
// Run it (from the build directory): bash ../examples/cluster_users/run.sh
// or, on a cluster of your own:
//   ./examples/cluster_users --cluster=127.0.0.1:2181/shop --seconds=20
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <entact/connect_cluster.hpp>
#include <entact/resolve.hpp>

#include "support/command_line.hpp"
#include "support/problem_log.hpp"
#include "support/records.hpp"

namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

struct options {
  std::string cluster; // HOST:PORT/NAME
  unsigned users = 8;
  unsigned counters = 24;
  unsigned seconds = 12;

  void add_to(caf::config_option_adder& add) {
    add.add(cluster, "cluster", "the cluster: HOST:PORT/NAME of its ZooKeeper")
      .add(users, "users", "concurrent users, one thread each [8]")
      .add(counters, "counters", "shared counters, counter/0..K-1 [24]")
      .add(seconds, "seconds", "how long the users edit [12]");
  }

  std::string invalid() const {
    if (cluster.empty())
      return "--cluster=HOST:PORT/NAME is required";
    if (users == 0 || counters == 0 || seconds == 0)
      return "--users, --counters and --seconds must be at least 1";
    return {};
  }
};

using config = example::options_config<options>;

example::problem_log problems;

/// What the users were told, per counter.
struct tally {
  std::atomic<uint64_t> acknowledged{0};
  std::atomic<uint64_t> unknown{0};
};

/// Totals for the progress line.
struct totals {
  std::atomic<uint64_t> ops{0};
  std::atomic<uint64_t> conflicts{0};
  std::atomic<uint64_t> unavailable{0};
  std::atomic<uint64_t> unknown{0};
};

bool outcome_unknown(entact::errc c) {
  return c == entact::errc::unreachable || c == entact::errc::timeout
         || c == entact::errc::in_doubt;
}

bool refused(entact::errc c) {
  return c == entact::errc::unavailable || c == entact::errc::wrong_node;
}

/// Sets every counter to 0, waiting (at most a minute) for the cluster to
/// have assigned its shards.
bool reset_counters(entact::database& db, const std::vector<std::string>& ids) {
  auto deadline = clock_type::now() + 60s;
  for (auto& id : ids) {
    for (;;) {
      auto w = db.write_unconditionally(id, "0");
      if (w)
        break;
      if (!refused(entact::code_of(w.error())) || clock_type::now() > deadline) {
        problems.add("reset " + id, w.error());
        return false;
      }
      std::this_thread::sleep_for(50ms);
    }
  }
  return true;
}

void user(entact::database& db, const std::vector<std::string>& ids,
          std::vector<tally>& per_counter, totals& sum, unsigned seed,
          clock_type::time_point until) {
  std::minstd_rand rng{seed};
  std::uniform_int_distribution<size_t> pick(0, ids.size() - 1);
  entact::retry_policy policy;
  policy.max_attempts = 50;
  policy.max_backoff = 20ms;
  while (clock_type::now() < until) {
    auto k = pick(rng);
    entact::retry_stats stats;
    auto rec = entact::read_modify_write(
      db, ids[k],
      [](const entact::record& cur) -> std::optional<std::string> {
        auto n = example::number_of(cur);
        if (!n)
          return std::nullopt;
        return std::to_string(*n + 1);
      },
      policy, &stats);
    ++sum.ops;
    sum.conflicts += stats.conflicts;
    if (rec) {
      ++per_counter[k].acknowledged;
      continue;
    }
    auto c = entact::code_of(rec.error());
    if (refused(c)) {
      ++sum.unavailable;
      std::this_thread::sleep_for(10ms); // its node is down: not a busy loop
    } else if (outcome_unknown(c)) {
      ++per_counter[k].unknown;
      ++sum.unknown;
    } else if (!entact::is_conflict(rec.error())) {
      problems.add("read_modify_write " + ids[k], rec.error());
    }
  }
}

/// One line a second on stderr while the users run.
void show_progress(const totals& sum, const std::atomic<bool>& done,
                   clock_type::time_point start) {
  uint64_t last = 0;
  auto next = start;
  while (!done) {
    next += 1s;
    while (!done && clock_type::now() < next)
      std::this_thread::sleep_for(20ms);
    auto ops = sum.ops.load();
    auto t = std::chrono::duration_cast<std::chrono::seconds>(
      clock_type::now() - start);
    std::fprintf(stderr,
                 "t=%3llds  %6llu ops/s  conflicts %llu  unavailable %llu  "
                 "unknown %llu\n",
                 static_cast<long long>(t.count()),
                 static_cast<unsigned long long>(ops - last),
                 static_cast<unsigned long long>(sum.conflicts.load()),
                 static_cast<unsigned long long>(sum.unavailable.load()),
                 static_cast<unsigned long long>(sum.unknown.load()));
    last = ops;
  }
}

/// Reads every counter (waiting, at most a minute, for a node that is
/// still coming back) and compares it with what the users were told.
bool check(entact::database& db, const std::vector<std::string>& ids,
           const std::vector<tally>& per_counter) {
  bool ok = true;
  uint64_t acked = 0;
  uint64_t stored = 0;
  auto deadline = clock_type::now() + 60s;
  for (size_t k = 0; k < ids.size(); ++k) {
    auto rec = db.read(ids[k]);
    while (!rec && refused(entact::code_of(rec.error()))
           && clock_type::now() < deadline) {
      std::this_thread::sleep_for(50ms);
      rec = db.read(ids[k]);
    }
    if (!rec) {
      problems.add("final read " + ids[k], rec.error());
      ok = false;
      continue;
    }
    auto n = example::number_of(*rec).value_or(-1);
    auto a = per_counter[k].acknowledged.load();
    auto u = per_counter[k].unknown.load();
    acked += a;
    stored += n > 0 ? static_cast<uint64_t>(n) : 0;
    if (n < 0 || static_cast<uint64_t>(n) < a
        || static_cast<uint64_t>(n) > a + u) {
      std::printf("%s: stored %lld, acknowledged %llu, unknown %llu  <-- "
                  "VIOLATION\n",
                  ids[k].c_str(), static_cast<long long>(n),
                  static_cast<unsigned long long>(a),
                  static_cast<unsigned long long>(u));
      ok = false;
    }
  }
  std::printf("acknowledged increments %llu, stored %llu (each counter "
              "between its acknowledged and acknowledged + unknown)\n",
              static_cast<unsigned long long>(acked),
              static_cast<unsigned long long>(stored));
  return ok;
}

} // namespace

int main(int argc, char** argv) {
  config cfg;
  if (auto status = example::parse_command_line(cfg, "cluster_users", argc,
                                                argv))
    return *status;
  const options& opts = cfg.opts;
  // One client for all users (it is thread-safe): one connection per node.
  auto db = entact::connect_cluster(opts.cluster);
  if (!db) {
    std::fprintf(stderr, "cannot reach the cluster %s: %s\n",
                 opts.cluster.c_str(),
                 example::describe(db.error()).c_str());
    return 1;
  }
  std::vector<std::string> ids;
  for (unsigned k = 0; k < opts.counters; ++k)
    ids.push_back("counter/" + std::to_string(k));
  if (!reset_counters(**db, ids))
    return example::verdict(false, problems, "");
  std::printf("%u users, %u counters, %u s on %s\n", opts.users,
              opts.counters, opts.seconds, opts.cluster.c_str());

  std::vector<tally> per_counter(ids.size());
  totals sum;
  std::atomic<bool> done{false};
  auto start = clock_type::now();
  auto until = start + std::chrono::seconds{opts.seconds};
  std::thread progress{[&] { show_progress(sum, done, start); }};
  std::vector<std::thread> users;
  for (unsigned u = 0; u < opts.users; ++u)
    users.emplace_back(
      [&, u] { user(**db, ids, per_counter, sum, u + 1, until); });
  for (auto& t : users)
    t.join();
  done = true;
  progress.join();
  std::printf("%llu edits: %llu conflicts retried, %llu refused while a node "
              "was down, %llu of unknown outcome\n",
              static_cast<unsigned long long>(sum.ops.load()),
              static_cast<unsigned long long>(sum.conflicts.load()),
              static_cast<unsigned long long>(sum.unavailable.load()),
              static_cast<unsigned long long>(sum.unknown.load()));
  bool ok = check(**db, ids, per_counter);
  int status = example::verdict(ok, problems,
                                "PASS: every acknowledged increment is "
                                "stored.");
  if (status != 0)
    std::printf("FAIL\n");
  return status;
}
