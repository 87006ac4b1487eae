#include <boost/test/unit_test.hpp>

#include <chrono>
#include <future>
#include <thread>

#include <caf/event_based_actor.hpp>

#include "support/engine_fixture.hpp"
#include "support/txn_client.hpp"

using namespace entact;
using namespace std::chrono_literals;
using entact::test::code;
using entact::test::txn_client;
using entact::test::txn_opts;
using clk = std::chrono::steady_clock;

namespace {

struct locking_fixture : entact::test::engine_fixture {
  locking_fixture() {
    for (auto id : {"a", "b"})
      if (!db().create(id, "0"))
        throw std::runtime_error("setup failed");
  }

  /// Locks `ids` in a new transaction: younger than every one begun
  /// before (the coordinator gives ages in the order of `begin`).
  std::unique_ptr<txn_client> holder(std::vector<entity_id> ids,
                                     std::chrono::milliseconds lease = 10s) {
    auto c = std::make_unique<txn_client>(db());
    if (!c->begin(txn_opts(1s, lease)) || !c->lock(std::move(ids)))
      throw std::runtime_error("could not lock");
    return c;
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(txn_locking, locking_fixture)

BOOST_AUTO_TEST_CASE(an_older_waiter_times_out_with_lock_timeout) {
  txn_client old{db()};
  BOOST_REQUIRE(old.begin(txn_opts(150ms, 10s))); // begun first: older
  auto young = holder({"a"});
  auto start = clk::now();
  auto r = old.lock({"a"});
  BOOST_TEST(code_of(r.error()) == errc::lock_timeout);
  BOOST_TEST((clk::now() - start >= 140ms));
  // The holder is unaffected and commits.
  BOOST_CHECK(young->commit({txn_write{"a", false, "young"}}));
  BOOST_TEST(db().read("a")->value == "young");
}

BOOST_AUTO_TEST_CASE(a_younger_requester_dies_at_once) {
  auto old = holder({"a"});
  txn_client young{db()};
  BOOST_REQUIRE(young.begin(txn_opts(5s, 10s)));
  auto start = clk::now();
  auto r = young.lock({"a"});
  BOOST_TEST(code_of(r.error()) == errc::aborted);
  BOOST_TEST((clk::now() - start < 2s));
  // Dying aborted the whole transaction.
  BOOST_TEST(code_of(young.abort().error()) == errc::unknown_transaction);
}

// A transaction asks for all its locks at once: when it dies on one entity
// while its request waits on another, that request must go with it, not
// be granted later to a transaction that no longer exists.
BOOST_AUTO_TEST_CASE(a_request_left_waiting_by_a_dead_transaction_is_dropped) {
  auto oldest = holder({"a"});
  txn_client middle{db()};
  BOOST_REQUIRE(middle.begin(txn_opts(5s, 10s)));
  auto young = holder({"b"});
  // Waits on b (older than its holder), dies on a (younger than its holder).
  BOOST_TEST(code_of(middle.lock({"a", "b"}).error()) == errc::aborted);
  BOOST_REQUIRE(young->abort());
  txn_client next{db()};
  BOOST_REQUIRE(next.begin(txn_opts(200ms, 10s)));
  auto r = next.lock({"b"});
  BOOST_TEST(static_cast<bool>(r),
             "b still locked: " << (r ? "" : to_string(r.error())));
  BOOST_REQUIRE(oldest->abort());
}

BOOST_AUTO_TEST_CASE(lease_expiry_frees_the_locks) {
  // A transaction older than the abandoned one waits for it.
  txn_client next{db()};
  BOOST_REQUIRE(next.begin(txn_opts(5s, 10s)));
  auto abandoned = holder({"a", "b"}, 200ms);
  auto start = clk::now();
  auto r = next.lock({"a", "b"});
  BOOST_REQUIRE(r);
  BOOST_TEST((clk::now() - start < 3s));
  BOOST_CHECK(next.commit({txn_write{"a", false, "next"}}));
  // The abandoned transaction is gone: its commit is refused, nothing lands.
  auto late = abandoned->commit({txn_write{"b", false, "late"}});
  BOOST_REQUIRE(!late);
  BOOST_TEST(code_of(late.error()) == errc::unknown_transaction);
  BOOST_TEST(db().read("a")->value == "next");
  BOOST_TEST(db().read("b")->value == "0");
}

BOOST_AUTO_TEST_CASE(the_owner_dying_frees_the_locks) {
  // Older than the owner: it waits for the locks rather than die.
  auto older = test::aged_opts(db(), txn_opts(5s, 10s));
  {
    auto owner = holder({"a", "b"}, 60s);
    // `owner` goes out of scope here without commit or abort.
  }
  auto start = clk::now();
  auto r = db().transact({"a", "b"}, [](transaction& t) {
    return t.put("a", "after");
  }, older);
  BOOST_REQUIRE(r);
  BOOST_TEST((clk::now() - start < 2s)); // far sooner than the 60 s lease
  BOOST_TEST(db().read("a")->value == "after");
}

BOOST_AUTO_TEST_CASE(opposite_order_interactive_transactions_do_not_hang) {
  txn_client t1{db()};
  txn_client t2{db()};
  BOOST_REQUIRE(t1.begin(txn_opts(2s, 20s)));
  BOOST_REQUIRE(t2.begin(txn_opts(2s, 20s)));
  BOOST_REQUIRE(t1.lock({"a"}));
  BOOST_REQUIRE(t2.lock({"b"}));
  auto start = clk::now();
  // t1 (older) waits for b; t2 (younger) asking for a must die.
  auto f1 = std::async(std::launch::async, [&] { return t1.lock({"b"}); });
  // Time for t1 to queue on b: nothing outside the engine tells that it
  // has. Were it late, t2 would die all the same and t1 get b at once.
  std::this_thread::sleep_for(50ms);
  auto r2 = t2.lock({"a"});
  BOOST_TEST(code_of(r2.error()) == errc::aborted);
  auto r1 = f1.get();
  BOOST_REQUIRE(r1);
  BOOST_TEST((clk::now() - start < 2s));
  BOOST_CHECK(t1.commit({txn_write{"a", false, "1"}, txn_write{"b", false, "1"}}));
  BOOST_TEST(db().read("b")->value == "1");
}

BOOST_AUTO_TEST_CASE(plain_writers_wait_behind_a_lock_then_see_the_new_version) {
  auto t = holder({"a"});
  auto stale = db().apply_future(write_op::update("a", 1, "optimist"));
  auto lww = db().apply_future(write_op::unconditional("a", "last"));
  BOOST_TEST((stale.wait_for(150ms) == std::future_status::timeout));
  // Committed reads from storage stay available while locked; a get waits
  // for the writes the entity accepted before it (read-your-writes), so it
  // answers once they have run after the commit.
  BOOST_TEST(db().read("a")->value == "0");
  auto later = std::async(std::launch::async, [&] { return db().get("a"); });
  BOOST_TEST((later.wait_for(100ms) == std::future_status::timeout));
  BOOST_REQUIRE(t->commit({txn_write{"a", false, "txn"}}));
  auto seen = later.get();
  BOOST_REQUIRE(seen);
  BOOST_TEST(seen->value == "last");
  BOOST_TEST(seen->version == 3u);
  auto s = stale.get();
  BOOST_REQUIRE(!s);
  auto c = conflict_of(s.error());
  BOOST_REQUIRE(c);
  BOOST_TEST(c->stored.value == "txn");
  BOOST_TEST(c->stored.version == 2u);
  auto l = lww.get();
  BOOST_REQUIRE(l);
  BOOST_TEST(l->version == 3u);
  BOOST_TEST(db().read("a")->value == "last");
}

BOOST_AUTO_TEST_CASE(abort_releases_everything_and_leaves_no_trace) {
  auto t = holder({"a", "b"});
  BOOST_REQUIRE(t->abort());
  for (auto id : {"a", "b"}) {
    BOOST_TEST(db().read(id)->version == 1u);
    BOOST_TEST(db().read(id)->value == "0");
  }
  BOOST_CHECK(db().update("a", 1, "free"));
}

BOOST_AUTO_TEST_CASE(a_locked_entity_is_not_passivated) {
  opts.resident_cap = 1;
  opts.idle_timeout = 20ms;
  reopen();
  auto t = holder({"a"});
  for (int i = 0; i < 20; ++i)
    BOOST_CHECK(db().create("filler/" + std::to_string(i), "x"));
  // Several idle timeouts pass: what must not happen (`a` passivated) has
  // no condition to wait for.
  std::this_thread::sleep_for(100ms);
  // Still locked: a plain write waits, then lands after the commit.
  auto w = db().apply_future(write_op::unconditional("a", "after"));
  BOOST_TEST((w.wait_for(100ms) == std::future_status::timeout));
  BOOST_REQUIRE(t->commit({txn_write{"a", false, "txn"}}));
  BOOST_REQUIRE(w.get());
  BOOST_TEST(db().read("a")->value == "after");
  BOOST_TEST(db().read("a")->version == 3u);
}

BOOST_AUTO_TEST_SUITE_END()
