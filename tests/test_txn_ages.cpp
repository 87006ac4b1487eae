// Wait-die ages are the coordinator's to give: a transaction cannot choose
// one, a retry keeps its age only by naming an attempt that ended without
// committing (once, with that attempt's token), and the memory kept for
// that is bounded. Real engines, real RocksDB directories.

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <type_traits>
#include <utility>

#include "support/engine_fixture.hpp"
#include "support/txn_client.hpp"
#include "txn/retry_table.hpp"

using namespace entact;
using namespace std::chrono_literals;
using entact::test::aged_opts;
using entact::test::code;
using entact::test::txn_client;
using entact::test::txn_opts;

namespace {

/// Detects a member `age` in `T`.
template <class T, class = void>
struct has_age : std::false_type {};

template <class T>
struct has_age<T, std::void_t<decltype(std::declval<T&>().age)>>
  : std::true_type {};

struct ages_fixture : entact::test::engine_fixture {
  ages_fixture() {
    for (auto id : {"x", "y"})
      if (!db().create(id, "0"))
        throw std::runtime_error("setup failed");
  }

  /// A transaction begun and aborted: an attempt a retry may name.
  txn_handle aborted_attempt() {
    txn_client c{db()};
    if (!c.begin(txn_opts(1s, 10s)) || !c.abort())
      throw std::runtime_error("cannot begin and abort");
    return c.handle;
  }

  /// The error of a `begin` with `opts` (none if it began; then the
  /// transaction is aborted again).
  errc begin_error(const txn_options& opts) {
    txn_client c{db()};
    auto h = c.begin(opts);
    if (h)
      c.abort();
    return code(h);
  }

  /// A fresh transaction's id, which is also its age: the next id.
  txn_id next_id() {
    auto h = aborted_attempt();
    BOOST_TEST(h.age == h.id);
    return h.id + 1;
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(txn_ages, ages_fixture)

BOOST_AUTO_TEST_CASE(an_age_cannot_be_chosen) {
  static_assert(!has_age<txn_options>::value,
                "a caller must not be able to ask for an age");
  // Every new transaction gets its id as its age, in the order of begin.
  txn_client a{db()};
  txn_client b{db()};
  BOOST_REQUIRE(a.begin(txn_opts(1s, 10s)));
  BOOST_REQUIRE(b.begin(txn_opts(1s, 10s)));
  BOOST_TEST(a.handle.age == a.handle.id);
  BOOST_TEST(b.handle.age == b.handle.id);
  BOOST_TEST(b.handle.age > a.handle.age);
  BOOST_TEST(a.handle.token != b.handle.token);
  // Naming an attempt is the only lever, and it needs that attempt's
  // token: the id of the oldest transaction with a guessed token is
  // refused.
  BOOST_REQUIRE(a.abort());
  auto guess = txn_opts(1s, 10s);
  guess.retry_of = a.handle.id;
  guess.retry_token = a.handle.token + 1;
  BOOST_TEST(begin_error(guess) == errc::invalid_argument);
  guess.retry_token = 0;
  BOOST_TEST(begin_error(guess) == errc::invalid_argument);
  // b is still younger than anything a claimed, and unaffected.
  BOOST_REQUIRE(b.lock({"x"}));
  BOOST_REQUIRE(b.commit({txn_write{"x", false, "b"}}));
  BOOST_TEST(db().read("x")->value == "b");
}

BOOST_AUTO_TEST_CASE(a_retry_keeps_its_age_so_it_waits_where_a_younger_dies) {
  auto first = aborted_attempt();
  txn_client holder{db()};
  BOOST_REQUIRE(holder.begin(txn_opts(1s, 10s)));
  BOOST_REQUIRE(holder.lock({"x"}));
  // The retry is older than the holder: it waits (and times out), not dies.
  txn_client retry{db()};
  BOOST_REQUIRE(retry.begin(retry_options(txn_opts(100ms, 10s), first)));
  BOOST_TEST(retry.handle.age == first.age);
  BOOST_TEST(retry.handle.id > holder.handle.id);
  BOOST_TEST(code(retry.lock({"x"})) == errc::lock_timeout);
  // A new transaction is younger than the holder: it dies at once.
  txn_client young{db()};
  BOOST_REQUIRE(young.begin(txn_opts(5s, 10s)));
  BOOST_TEST(code(young.lock({"x"})) == errc::aborted);
  // A retry of the retry (it ended by its lock timeout) keeps the age too,
  // and gets the lock once the holder commits.
  txn_client again{db()};
  BOOST_REQUIRE(again.begin(retry_options(txn_opts(5s, 10s), retry.handle)));
  BOOST_TEST(again.handle.age == first.age);
  BOOST_REQUIRE(holder.commit({txn_write{"x", false, "holder"}}));
  auto locked = again.lock({"x"});
  BOOST_REQUIRE(locked);
  BOOST_TEST(locked->front().value == "holder");
  BOOST_REQUIRE(again.commit({txn_write{"x", false, "again"}}));
  BOOST_TEST(db().read("x")->value == "again");
}

BOOST_AUTO_TEST_CASE(retries_that_may_not_be_retried_are_refused_and_change_nothing) {
  auto base = txn_opts(1s, 10s);
  // Unknown: never issued.
  auto unknown = base;
  unknown.retry_of = next_id() + 1000;
  BOOST_TEST(begin_error(unknown) == errc::invalid_argument);
  // Committed.
  txn_client done{db()};
  BOOST_REQUIRE(done.begin(base));
  BOOST_REQUIRE(done.lock({"y"}));
  BOOST_REQUIRE(done.commit({txn_write{"y", false, "1"}}));
  BOOST_TEST(begin_error(retry_options(base, done.handle))
             == errc::invalid_argument);
  // Still running: refused, and the running one carries on.
  txn_client running{db()};
  BOOST_REQUIRE(running.begin(base));
  BOOST_REQUIRE(running.lock({"x"}));
  BOOST_TEST(begin_error(retry_options(base, running.handle))
             == errc::invalid_argument);
  BOOST_REQUIRE(running.commit({txn_write{"x", false, "running"}}));
  // Already retried: one successor per attempt.
  auto first = aborted_attempt();
  txn_client successor{db()};
  BOOST_REQUIRE(successor.begin(retry_options(base, first)));
  BOOST_TEST(begin_error(retry_options(base, first)) == errc::invalid_argument);
  BOOST_REQUIRE(successor.abort());
  BOOST_TEST(begin_error(retry_options(base, first)) == errc::invalid_argument);
  // None of these refusals used up an id, took a lock or wrote anything;
  // begin-and-lock refuses the same way, before locking.
  auto expected_next = next_id();
  txn_client c{db()};
  auto begun = c.call<txn_begun>(begin_atom::value,
                                 retry_options(base, done.handle),
                                 std::vector<entity_id>{"x", "y"});
  BOOST_TEST(code(begun) == errc::invalid_argument);
  BOOST_TEST(aborted_attempt().id == expected_next);
  BOOST_TEST(db().read("x")->value == "running");
  BOOST_TEST(db().read("y")->value == "1");
  BOOST_CHECK(db().update("x", db().read("x")->version, "free"));
  // The messages say why.
  auto text = db().system().render(c.begin(retry_options(base, first)).error());
  BOOST_TEST(text.find("retried already") != std::string::npos, text);
}

BOOST_AUTO_TEST_CASE(a_wrong_token_takes_nothing_from_the_owner) {
  auto first = aborted_attempt();
  auto stolen = first;
  stolen.token ^= 1;
  BOOST_TEST(begin_error(retry_options(txn_opts(1s, 10s), stolen))
             == errc::invalid_argument);
  // The owner's retry still keeps its age.
  txn_client owner{db()};
  BOOST_REQUIRE(owner.begin(retry_options(txn_opts(1s, 10s), first)));
  BOOST_TEST(owner.handle.age == first.age);
}

// transact retries a wait-die victim or a conflict as a retry of the
// attempt before, so every attempt has the first one's age. Here the
// first attempt conflicts (an optimistic batch writes x behind its lock);
// the second attempt's age shows in wait-die: a transaction whose age was
// reserved after the first attempt's must die against it, not wait.
BOOST_AUTO_TEST_CASE(transact_keeps_the_age_across_its_retries) {
  auto mine = aged_opts(db(), txn_opts(5s, 10s));
  auto later = aged_opts(db(), txn_opts(200ms, 10s)); // younger than mine
  int runs = 0;
  errc probe = errc::none;
  auto r = db().transact({"x"}, [&](transaction& t) -> caf::error {
    if (++runs == 1) {
      auto base = t.get("x")->version;
      if (!db().apply_batch({write_op::update("x", base, "outside")}))
        return make_error(errc::invalid_argument, "the batch failed");
    } else {
      txn_client younger{db()};
      if (!younger.begin(later))
        return make_error(errc::invalid_argument, "cannot begin");
      probe = code(younger.lock({"x"}));
    }
    return t.put("x", "mine");
  }, mine);
  BOOST_REQUIRE(r);
  BOOST_TEST(runs == 2);
  // Died at once: it was younger than the second attempt (a fresh age for
  // that attempt would have been younger still, and made this one wait).
  BOOST_TEST(probe == errc::aborted);
  BOOST_TEST(db().read("x")->value == "mine");
}

BOOST_AUTO_TEST_CASE(the_memory_of_ended_transactions_is_bounded) {
  opts.max_retryable_txns = 4;
  reopen();
  auto first = aborted_attempt();
  std::vector<txn_handle> later;
  for (int i = 0; i < 4; ++i)
    later.push_back(aborted_attempt());
  // Four ended since: the first is forgotten, so its retry begins afresh
  // (the caller did nothing wrong; it only loses its age).
  txn_client forgotten{db()};
  BOOST_REQUIRE(forgotten.begin(retry_options(txn_opts(1s, 10s), first)));
  BOOST_TEST(forgotten.handle.age == forgotten.handle.id);
  BOOST_TEST(forgotten.handle.age > first.age);
  BOOST_REQUIRE(forgotten.abort());
  // The last ended are remembered (the forgotten retry above is one).
  txn_client kept{db()};
  BOOST_REQUIRE(kept.begin(retry_options(txn_opts(1s, 10s), later.back())));
  BOOST_TEST(kept.handle.age == later.back().age);
}

// begin, abort, retry, abort, retry ... must not keep one client the
// oldest forever: past a bounded chain the age is fresh.
BOOST_AUTO_TEST_CASE(a_chain_of_retries_keeps_its_age_only_so_long) {
  auto first = aborted_attempt();
  auto last = first;
  for (uint32_t n = 1; n <= detail::max_retries_keeping_age; ++n) {
    txn_client c{db()};
    BOOST_REQUIRE(c.begin(retry_options(txn_opts(1s, 10s), last)));
    BOOST_REQUIRE(c.abort());
    BOOST_TEST(c.handle.age == first.age);
    last = c.handle;
  }
  txn_client past{db()};
  BOOST_REQUIRE(past.begin(retry_options(txn_opts(1s, 10s), last)));
  BOOST_TEST(past.handle.age == past.handle.id);
  // ... and once fresh, the chain starts anew from that age.
  BOOST_REQUIRE(past.abort());
  txn_client next{db()};
  BOOST_REQUIRE(next.begin(retry_options(txn_opts(1s, 10s), past.handle)));
  BOOST_TEST(next.handle.age == past.handle.age);
}

BOOST_AUTO_TEST_CASE(no_memory_for_retries_is_refused) {
  opts.max_retryable_txns = 0;
  auto e = engine::open(opts);
  BOOST_TEST(code(e) == errc::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(retry_table_bounds)

BOOST_AUTO_TEST_CASE(it_holds_at_most_its_capacity_earliest_ended_forgotten) {
  detail::retry_table t{4};
  for (txn_id id = 1; id <= 1000; ++id) { // even ids committed
    t.ended(id, id * 7, detail::inherited_age{id, 2}, id % 2 == 0);
    BOOST_TEST(t.size() <= 4u);
  }
  BOOST_TEST(t.size() == 4u); // 997 .. 1000
  BOOST_TEST(t.take(996, 996 * 7)->age == 0u); // forgotten
  auto kept = t.take(997, 997 * 7);            // retryable, remembered
  BOOST_REQUIRE(kept);
  BOOST_TEST(kept->age == 997u);
  BOOST_TEST(kept->retries == 2u);
  BOOST_TEST(!t.take(997, 997 * 7));           // retried already
  BOOST_TEST(!t.take(998, 998 * 7));           // committed
  BOOST_TEST(!t.take(999, 1));                 // wrong token...
  BOOST_TEST(t.take(999, 999 * 7)->age == 999u); // ... which took nothing
  // Retried entries count until pushed out: the bound holds.
  t.ended(1001, 1, detail::inherited_age{1, 0}, false);
  BOOST_TEST(t.size() == 4u);
  BOOST_TEST(t.take(997, 997 * 7)->age == 0u); // pushed out
  BOOST_TEST(!t.take(999, 999 * 7));           // still remembered as retried
}

BOOST_AUTO_TEST_SUITE_END()
