// Transaction owners that die: a client process killed or exiting while it
// holds locks, and a client that closes mid-transaction. The server must
// notice the owner is gone and release its locks long before their lease
// ends. Everything runs against a real entactd on 127.0.0.1; every loop and
// wait is bounded.

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include <poll.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <caf/actor_cast.hpp>

#include "entact/client.hpp"
#include "support/print.hpp"
#include "support/proc_info.hpp"
#include "support/remote_client.hpp"
#include "support/server_process.hpp"
#include "support/txn_client.hpp"
#include "support/txn_helpers.hpp"

using namespace entact;
using namespace entact::test;
using namespace std::chrono_literals;
using std::chrono::steady_clock;

namespace {

/// The coordinator of `c`'s server, for a `txn_client` in `c`'s own actor
/// system: a transaction owned from that client.
coordinator_api coordinator_of(client& c) {
  return caf::actor_cast<coordinator_api>(c.server());
}

/// Begins a transaction through `txn` and locks `ids` with it.
caf::error begin_and_lock(txn_client& txn, const std::vector<entity_id>& ids,
                          txn_options opts) {
  auto h = txn.begin(opts);
  if (!h)
    return std::move(h.error());
  auto locked = txn.lock(ids);
  if (!locked)
    return std::move(locked.error());
  return {};
}

/// True if another transaction cannot lock `ids` right now: a new one,
/// younger than the holder, dies by wait-die at once.
bool locks_held(client& c, const std::vector<entity_id>& ids) {
  auto probe = c.transact(
    ids,
    [](transaction&) {
      return make_error(errc::invalid_argument, "locked: probe only");
    },
    txn_opts(300ms, 5s), no_retry());
  return code(probe) == errc::retries_exhausted
         && code_of(cause_of(probe.error())) == errc::aborted;
}

/// Retries until the server has let the locks go: every attempt is
/// younger than the holder (the server assigns ages in order of `begin`),
/// so it dies at once while the holder lives. About 30 s of attempts at
/// most: far beyond the 5 s the tests allow.
retry_policy until_free() {
  retry_policy p;
  p.max_attempts = 6000;
  p.initial_backoff = 1ms;
  p.max_backoff = 10ms;
  return p;
}

/// Locks `ids` (each wait-die death retried, see `until_free`; the
/// abandoned transaction's lease is 60 s) and writes `value` to them.
/// Returns how long it took, or throws.
std::chrono::milliseconds take_over(client& c,
                                    const std::vector<entity_id>& ids,
                                    const std::string& value) {
  auto start = steady_clock::now();
  auto done = c.transact(
    ids,
    [&](transaction& t) -> caf::error {
      for (auto& id : ids)
        if (auto err = t.put(id, value))
          return err;
      return {};
    },
    txn_opts(10s, 20s), until_free());
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
    steady_clock::now() - start);
  if (!done)
    throw std::runtime_error("take-over failed after "
                             + std::to_string(took.count())
                             + " ms: " + to_string(done.error()));
  return took;
}

/// What a forked lock holder does once it holds its locks. It never
/// returns into Boost.Test either way.
enum class then { sleep_forever, exit_without_closing };

/// A forked lock holder: its pid and the pipe on which it reports.
struct forked_holder {
  pid_t pid = -1;
  int rd = -1;

  ~forked_holder() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    if (rd >= 0)
      ::close(rd);
  }

  /// Waits (at most `limit`) for the child's status byte.
  char wait_signal(std::chrono::milliseconds limit) {
    pollfd p{rd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(limit.count())) <= 0)
      return '?';
    char c = '?';
    if (::read(rd, &c, 1) != 1)
      return '!';
    return c;
  }

  int wait_exit() {
    int status = 0;
    ::waitpid(pid, &status, 0);
    pid = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  }
};

/// Forks a process that connects to `port`, begins a transaction with a
/// 60 s lease, locks `ids`, reports 'L' on the pipe (or 'E' on failure) and
/// then does `after`.
void fork_holder(forked_holder& h, uint16_t port,
                 const std::vector<entity_id>& ids, then after) {
  // fork copies only the calling thread: the parent must not have an actor
  // system (or any other thread) yet, or the child may inherit held locks.
  BOOST_TEST_MESSAGE("threads in the test process before fork: "
                     << threads_of(::getpid()).threads);
  int fds[2];
  BOOST_REQUIRE(::pipe(fds) == 0);
  h.pid = ::fork();
  BOOST_REQUIRE(h.pid >= 0);
  if (h.pid == 0) {
    ::close(fds[0]);
    char status = 'E';
    {
      client_options opts;
      opts.port = port;
      auto c = client::connect(opts);
      if (c) {
        // Never destroyed: it holds the locks.
        auto* txn = new txn_client{(*c)->system(), coordinator_of(**c)};
        if (!begin_and_lock(*txn, ids, txn_opts(5s, 60s)))
          status = 'L';
        if (::write(fds[1], &status, 1) != 1)
          ::_exit(3);
        if (status == 'L' && after == then::exit_without_closing)
          ::_exit(0); // no close, no destructors: the process just ends
        for (;;)
          ::pause(); // until SIGKILL
      }
    }
    if (::write(fds[1], &status, 1) != 1)
      ::_exit(3);
    ::_exit(2);
  }
  ::close(fds[1]);
  h.rd = fds[0];
}

} // namespace

// The fork-based tests come first, while the test process has no actor
// system and no other thread yet (Boost.Test runs cases in order).
BOOST_AUTO_TEST_SUITE(dead_owners)

BOOST_AUTO_TEST_CASE(a_client_killed_mid_transaction_releases_its_locks) {
  test::server_process server;
  auto ids = ids_of("acct/", 3);
  forked_holder holder;
  fork_holder(holder, server.port(), ids, then::sleep_forever);
  BOOST_REQUIRE_EQUAL(holder.wait_signal(30s), 'L');
  // From here on this process may have threads: the fork is done.
  auto db = connect_or_throw(server.port());
  BOOST_TEST(locks_held(*db, ids)); // really held, by the other process
  ::kill(holder.pid, SIGKILL);
  BOOST_TEST(holder.wait_exit() == -SIGKILL);
  // The server sees the connection drop and aborts the transaction long
  // before its 60 s lease would have.
  auto took = take_over(*db, ids, "mine");
  BOOST_TEST_MESSAGE("locks of the killed client taken over after "
                     << took.count() << " ms");
  BOOST_TEST(took.count() < 5000);
  for (auto& id : ids)
    BOOST_TEST(db->read(id)->value == "mine");
  BOOST_TEST(server.running());
}

BOOST_AUTO_TEST_CASE(a_client_process_that_exits_mid_transaction_releases) {
  test::server_process server;
  auto ids = ids_of("acct/", 2);
  forked_holder holder;
  fork_holder(holder, server.port(), ids, then::exit_without_closing);
  BOOST_REQUIRE_EQUAL(holder.wait_signal(30s), 'L');
  BOOST_TEST(holder.wait_exit() == 0); // exited on its own, locks held
  auto db = connect_or_throw(server.port());
  auto took = take_over(*db, ids, "mine");
  BOOST_TEST_MESSAGE("locks of the exited client taken over after "
                     << took.count() << " ms");
  BOOST_TEST(took.count() < 5000);
  for (auto& id : ids)
    BOOST_TEST(db->read(id)->value == "mine");
}

BOOST_AUTO_TEST_CASE(a_client_closed_mid_transaction_releases_its_locks) {
  test::server_process server;
  auto ids = ids_of("acct/", 3);
  auto db = connect_or_throw(server.port());
  auto leaver = connect_or_throw(server.port());
  {
    txn_client txn{leaver->system(), coordinator_of(*leaver)};
    BOOST_REQUIRE(!begin_and_lock(txn, ids, txn_opts(5s, 60s)));
    BOOST_TEST(locks_held(*db, ids));
    // The owner goes away without commit or abort, then its client closes.
  }
  leaver->close();
  leaver.reset();
  auto took = take_over(*db, ids, "mine");
  BOOST_TEST_MESSAGE("locks of the closed client taken over after "
                     << took.count() << " ms");
  BOOST_TEST(took.count() < 5000);
  for (auto& id : ids)
    BOOST_TEST(db->read(id)->value == "mine");
}

BOOST_AUTO_TEST_SUITE_END()
