// A prepare survives a SIGKILL: a child process prepares a transaction and
// records a decision, says so through a pipe, and is killed; the parent
// then opens the directory and finds the prepared record whole (and its ids
// held), commits it, and finds the decision. The parent opens no store
// before it forks, so it forks with no threads (as test_txn_crash).

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "entact/errc.hpp"
#include "entact/storage/prepared.hpp"
#include "entact/storage/store.hpp"
#include "support/prepared_store.hpp"
#include "support/print.hpp"
#include "support/store_open.hpp"
#include "support/temp_dir.hpp"

using namespace entact;
using namespace entact::storage;

namespace {

enum child_exit { set_up_failed = 3 };

/// Prepares "t1" and decides "t9", tells `ready_fd`, then waits to be
/// killed.
[[noreturn]] void prepare_and_wait(const std::string& path, int ready_fd) {
  auto opened = store::open(entact::test::options_for(path));
  if (!opened)
    _exit(set_up_failed);
  auto& db = **opened;
  bool ok = db.commit({write_op::create("acct/a", "100")})
            && db.prepare(entact::test::prepare_of(
              "t1", {write_op::update("acct/a", 1, "70"),
                     write_op::create("acct/b", "30")}))
            && !db.record_decision("t9", decision::commit, {"node-a"});
  if (!ok)
    _exit(set_up_failed);
  char byte = 1;
  if (write(ready_fd, &byte, 1) != 1)
    _exit(set_up_failed);
  for (;;)
    pause(); // until killed
}

/// Waits (at most a minute: a hang is a failure) for the child's byte.
bool child_is_ready(int fd) {
  pollfd p{fd, POLLIN, 0};
  char byte = 0;
  return poll(&p, 1, 60'000) == 1 && read(fd, &byte, 1) == 1;
}

} // namespace

BOOST_AUTO_TEST_CASE(a_prepare_survives_sigkill_whole) {
  entact::test::temp_dir dir;
  auto path = dir.sub("db");
  int ready[2];
  BOOST_REQUIRE(pipe(ready) == 0);
  auto pid = fork();
  BOOST_REQUIRE(pid >= 0);
  if (pid == 0) {
    close(ready[0]);
    prepare_and_wait(path, ready[1]);
  }
  close(ready[1]);
  bool prepared_there = child_is_ready(ready[0]);
  close(ready[0]);
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  BOOST_REQUIRE(prepared_there);
  BOOST_REQUIRE(WIFSIGNALED(status)); // killed, not failed
  auto opened = store::open(entact::test::options_for(path));
  BOOST_REQUIRE_MESSAGE(opened, entact::test::why(opened));
  auto& db = **opened;
  auto all = db.prepared();
  BOOST_REQUIRE(all.size() == 1u);
  BOOST_TEST(all[0].txn == "t1");
  BOOST_REQUIRE(all[0].writes.size() == 2u);
  BOOST_TEST((all[0].writes[0]
              == prepared_write{write_op::update("acct/a", 1, "70"), 1}));
  BOOST_TEST((all[0].writes[1]
              == prepared_write{write_op::create("acct/b", "30"), 0}));
  BOOST_TEST(db.decision_of("t9") == decision::commit);
  BOOST_TEST(db.read("acct/a")->value == "100");
  auto direct = db.commit({write_op::unconditional("acct/b", "0")});
  BOOST_TEST(entact::test::code(direct) == errc::lock_timeout);
  auto done = db.commit_prepared("t1");
  BOOST_REQUIRE_MESSAGE(done, entact::test::why(done));
  BOOST_TEST(db.read("acct/a")->value == "70");
  BOOST_TEST(db.read("acct/b")->value == "30");
  BOOST_TEST(db.prepared().empty());
}
