#include <boost/test/unit_test.hpp>

#include <chrono>

#include "support/engine_fixture.hpp"
#include "support/txn_client.hpp"
#include "txn/coordinator.hpp"

// Transaction actors are reused: one that ended waits idle for the next
// transaction. These check that a reused actor runs only its own
// transaction, and watches its own owner.

using namespace entact;
using namespace std::chrono_literals;
using entact::test::txn_client;
using entact::test::txn_opts;
using reuse_clock = std::chrono::steady_clock;

namespace {

struct reuse_fixture : entact::test::engine_fixture {
  reuse_fixture() {
    for (auto id : {"a", "b"})
      if (!db().create(id, "0"))
        throw std::runtime_error("setup failed");
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(txn_reuse, reuse_fixture)

BOOST_AUTO_TEST_CASE(calls_for_an_ended_transaction_leave_the_next_one_alone) {
  txn_client first{db()};
  BOOST_REQUIRE(first.begin(txn_opts(1s, 30s)));
  BOOST_REQUIRE(first.lock({"a"}));
  BOOST_REQUIRE(first.abort());
  // The only idle actor now runs the second transaction.
  txn_client second{db()};
  BOOST_REQUIRE(second.begin(txn_opts(1s, 30s)));
  BOOST_REQUIRE(second.lock({"b"}));
  BOOST_TEST(code_of(first.commit({txn_write{"a", false, "stale"}}).error())
             == errc::unknown_transaction);
  BOOST_TEST(code_of(first.lock({"a"}).error())
             == errc::unknown_transaction);
  BOOST_TEST(code_of(first.abort().error()) == errc::unknown_transaction);
  auto mine = second.commit({txn_write{"b", false, "mine"}});
  BOOST_REQUIRE(mine);
  BOOST_REQUIRE(mine->size() == 1u);
  BOOST_TEST((*mine)[0].version == 2u);
  BOOST_TEST(db().read("a")->value == "0");
  BOOST_TEST(db().read("a")->version == 1u);
  BOOST_TEST(db().read("b")->value == "mine");
  // Both locks are free again.
  BOOST_CHECK(db().transact({"a", "b"}, [](transaction& t) {
    return t.put("a", "after");
  }));
}

BOOST_AUTO_TEST_CASE(begin_and_lock_on_a_reused_actor_watches_its_owner) {
  // Ends one transaction (so an actor is idle) and makes one older than
  // everything begun after it.
  auto older = test::aged_opts(db(), txn_opts(5s, 10s));
  {
    txn_client owner{db()};
    auto begun = owner.call<txn_begun>(begin_atom::value, txn_opts(1s, 60s),
                                       std::vector<entity_id>{"a", "b"});
    BOOST_REQUIRE(begun);
    BOOST_REQUIRE(!begun->error);
    BOOST_TEST(begun->locked.size() == 2u);
    // `owner` goes away here without commit or abort.
  }
  auto start = reuse_clock::now();
  auto r = db().transact({"a", "b"}, [](transaction& t) {
    return t.put("b", "after");
  }, older);
  BOOST_REQUIRE(r);
  BOOST_TEST((reuse_clock::now() - start < 3s)); // far sooner than the lease
  BOOST_TEST(db().read("b")->value == "after");
}

BOOST_AUTO_TEST_CASE(many_transactions_in_turn_and_at_once_all_commit) {
  // More at once than the idle pool keeps, then again: actors quit past
  // the bound and are spawned anew, and every transfer still commits.
  for (int round = 0; round < 2; ++round) {
    std::vector<std::unique_ptr<txn_client>> open;
    for (size_t i = 0; i < detail::max_idle_txn_actors + 20; ++i) {
      open.push_back(std::make_unique<txn_client>(db()));
      BOOST_REQUIRE(open.back()->begin(txn_opts(1s, 30s)));
    }
    for (auto& c : open)
      BOOST_REQUIRE(c->abort());
  }
  for (int i = 0; i < 50; ++i)
    BOOST_REQUIRE(db().transact({"a", "b"}, [](transaction& t) {
      auto a = t.get("a");
      if (!a)
        return a.error();
      return t.put("a", std::to_string(std::stoi(a->value) + 1));
    }));
  BOOST_TEST(db().read("a")->value == "50");
  BOOST_TEST(db().read("a")->version == 51u);
}

BOOST_AUTO_TEST_SUITE_END()
