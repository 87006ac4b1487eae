#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdio>
#include <random>
#include <thread>

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "entact/engine.hpp"
#include "support/temp_dir.hpp"

// Atomicity across a crash: a child process runs transfers with sync on and
// is killed (SIGKILL) at a random moment; a fresh process then reopens the
// directory and checks that every transfer is there whole or not at all.
// The parent never opens the database itself, so it forks with no threads.
// The kill comes at a random moment after the child's first transfer
// committed (it says so through a pipe), so a busy machine that is slow to
// open the engine still gets a kill in the middle of transfers.

using namespace entact;

namespace {

constexpr int accounts = 20;
constexpr int initial = 100;

enum check_result { checked_ok = 0, broken = 1, not_set_up = 3, failed = 4 };

std::vector<entity_id> all_accounts() {
  std::vector<entity_id> ids;
  for (int i = 0; i < accounts; ++i)
    ids.push_back("acct/" + std::to_string(i));
  return ids;
}

std::unique_ptr<engine> open_engine(const std::string& path) {
  engine_options opts;
  opts.path = path;
  opts.sync = true;
  auto eng = engine::open(opts);
  return eng ? std::move(*eng) : nullptr;
}

/// Creates all accounts in one transaction (all or none exist).
bool set_up(engine& db) {
  auto r = db.transact(all_accounts(), [](transaction& t) {
    for (auto& id : all_accounts())
      if (!t.get(id)->exists())
        t.put(id, std::to_string(initial));
    return caf::error{};
  });
  return static_cast<bool>(r);
}

/// Runs transfers until killed; writes one byte to `ready_fd` once the
/// first has committed.
[[noreturn]] void run_transfers(const std::string& path, unsigned seed,
                                int ready_fd) {
  auto db = open_engine(path);
  if (!db || !set_up(*db))
    _exit(failed);
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> pick(0, accounts - 1);
  auto ids = all_accounts();
  bool told = false;
  for (;;) { // until killed
    int from = pick(rng);
    int to = (from + 1 + pick(rng) % (accounts - 1)) % accounts;
    auto r = db->transact({ids[from], ids[to]}, [&](transaction& t) {
      auto a = std::stoi(t.get(ids[from])->value);
      auto b = std::stoi(t.get(ids[to])->value);
      t.put(ids[from], std::to_string(a - 3));
      return t.put(ids[to], std::to_string(b + 3));
    });
    if (r && !told) {
      char byte = 1;
      told = write(ready_fd, &byte, 1) == 1;
    }
  }
}

/// Waits (at most a minute: a hang is a failure) for the child's byte.
bool first_transfer_seen(int fd) {
  pollfd p{fd, POLLIN, 0};
  char byte = 0;
  return poll(&p, 1, 60'000) == 1 && read(fd, &byte, 1) == 1;
}

[[noreturn]] void check(const std::string& path) {
  auto db = open_engine(path);
  if (!db)
    _exit(failed);
  auto recs = db->read_many(all_accounts());
  if (!recs)
    _exit(failed);
  long total = 0;
  uint64_t versions = 0;
  int present = 0;
  for (auto& r : *recs) {
    if (r.exists()) {
      ++present;
      total += std::stol(r.value);
      versions += r.version;
    }
  }
  std::printf("checker: %d accounts, total %ld, versions %llu\n", present,
              total, static_cast<unsigned long long>(versions));
  std::fflush(stdout);
  db.reset();
  if (present == 0)
    _exit(not_set_up);
  if (present != accounts || total != long{accounts} * initial)
    _exit(broken);
  _exit(versions > uint64_t{accounts} ? checked_ok : not_set_up);
}

template <class F>
int in_child(F f) {
  auto pid = fork();
  if (pid == 0)
    f();
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

} // namespace

BOOST_AUTO_TEST_CASE(transfers_survive_a_kill_whole_or_not_at_all) {
  entact::test::temp_dir dir;
  auto path = dir.sub("db");
  std::mt19937 rng(42);
  int rounds_with_transfers = 0;
  for (int round = 0; round < 6; ++round) {
    int ready[2];
    BOOST_REQUIRE(pipe(ready) == 0);
    auto pid = fork();
    BOOST_REQUIRE(pid >= 0);
    if (pid == 0) {
      close(ready[0]);
      run_transfers(path, static_cast<unsigned>(round), ready[1]);
    }
    close(ready[1]);
    BOOST_TEST_INFO("round " << round);
    BOOST_TEST(first_transfer_seen(ready[0]));
    close(ready[0]);
    // The kill comes at a random moment among the transfers: that is what
    // the test is about (this wait is the randomness, not a wait for a
    // condition).
    std::this_thread::sleep_for(std::chrono::milliseconds{rng() % 300});
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    BOOST_TEST_INFO("round " << round);
    BOOST_TEST(WIFSIGNALED(status)); // it was still running, not failed
    auto verdict = in_child([&] { check(path); });
    BOOST_TEST_INFO("round " << round);
    BOOST_TEST(verdict == checked_ok); // a transfer had committed
    if (verdict == checked_ok)
      ++rounds_with_transfers;
  }
  BOOST_TEST(rounds_with_transfers == 6);
}
