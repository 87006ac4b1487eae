#include <boost/test/unit_test.hpp>

#include "support/engine_fixture.hpp"
#include "support/txn_client.hpp"

using namespace entact;
using entact::test::code;
using namespace std::chrono_literals;

namespace {

struct bank_fixture : entact::test::engine_fixture {
  bank_fixture() {
    for (auto id : {"acct/1", "acct/2", "acct/3"})
      if (!db().create(id, "100"))
        throw std::runtime_error("setup failed");
  }

  caf::expected<std::vector<record>> transfer(const std::string& from,
                                              const std::string& to, int n) {
    return db().transact({from, to}, [&](transaction& t) -> caf::error {
      auto a = t.get(from);
      auto b = t.get(to);
      if (!a || !b)
        return make_error(errc::invalid_argument);
      auto left = std::stoi(a->value) - n;
      if (left < 0)
        return make_error(errc::aborted, "insufficient funds");
      t.put(from, std::to_string(left));
      t.put(to, std::to_string(std::stoi(b->value) + n));
      return {};
    });
  }

  int balance(const std::string& id) {
    return std::stoi(db().read(id)->value);
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(txn_basics, bank_fixture)

BOOST_AUTO_TEST_CASE(a_transfer_commits_both_writes_and_bumps_versions) {
  auto r = transfer("acct/1", "acct/2", 30);
  BOOST_REQUIRE(r);
  BOOST_REQUIRE(r->size() == 2u);
  BOOST_TEST((*r)[0].id == "acct/1");
  BOOST_TEST((*r)[0].version == 2u);
  BOOST_TEST((*r)[1].version == 2u);
  BOOST_TEST(balance("acct/1") == 70);
  BOOST_TEST(balance("acct/2") == 130);
  // Entity actors saw the published records too.
  BOOST_TEST(db().get("acct/1")->value == "70");
  BOOST_TEST(db().get("acct/2")->version == 2u);
}

BOOST_AUTO_TEST_CASE(a_body_error_aborts_and_writes_nothing) {
  auto r = transfer("acct/1", "acct/2", 1000);
  BOOST_TEST(code(r) == errc::aborted);
  BOOST_TEST(balance("acct/1") == 100);
  BOOST_TEST(db().read("acct/1")->version == 1u);
  BOOST_TEST(db().read("acct/2")->version == 1u);
  // The locks are free again.
  BOOST_CHECK(transfer("acct/1", "acct/2", 10));
}

BOOST_AUTO_TEST_CASE(giving_up_after_retries_is_not_the_bodys_abort) {
  // An older transaction holds acct/1: every attempt of a younger one dies
  // by wait-die, and transact stops after its three.
  test::txn_client old{db()};
  BOOST_REQUIRE(old.begin(test::txn_opts(1s, 10s)));
  BOOST_REQUIRE(old.lock({"acct/1"}));
  retry_policy three;
  three.max_attempts = 3;
  three.initial_backoff = std::chrono::microseconds{100};
  three.max_backoff = std::chrono::microseconds{1000};
  int runs = 0;
  auto r = db().transact(
    {"acct/1", "acct/2"},
    [&](transaction& t) {
      ++runs;
      return t.put("acct/1", "0");
    },
    txn_options{}, three);
  BOOST_TEST(code(r) == errc::retries_exhausted);
  BOOST_TEST(runs == 0);
  BOOST_TEST(code_of(cause_of(r.error())) == errc::aborted);
  auto text = db().system().render(r.error());
  BOOST_TEST(text.find("gave up after 3 attempts") != std::string::npos, text);
  BOOST_TEST(text.find("wait-die") != std::string::npos, text);
  BOOST_REQUIRE(old.abort());
  BOOST_TEST(db().read("acct/1")->version == 1u);
  // The body's own abort stays `aborted`, with no cause attached.
  auto poor = transfer("acct/1", "acct/2", 1000);
  BOOST_TEST(code(poor) == errc::aborted);
  BOOST_TEST(!cause_of(poor.error()));
}

BOOST_AUTO_TEST_CASE(a_transaction_can_create_and_erase) {
  auto r = db().transact({"acct/1", "acct/new"}, [](transaction& t) {
    BOOST_TEST(t.get("acct/new")->version == no_version);
    t.erase("acct/1");
    return t.put("acct/new", "100");
  });
  BOOST_REQUIRE(r);
  BOOST_TEST(code(db().read("acct/1")) == errc::not_found);
  BOOST_TEST(db().read("acct/new")->value == "100");
  BOOST_TEST(db().read("acct/new")->version == 1u);
}

BOOST_AUTO_TEST_CASE(read_only_transactions_commit_nothing) {
  auto r = db().transact({"acct/1"}, [](transaction& t) {
    return t.get("acct/1") ? caf::error{} : make_error(errc::not_found);
  });
  BOOST_REQUIRE(r);
  // What it read, one record per id (before: nothing).
  BOOST_REQUIRE(r->size() == 1u);
  BOOST_TEST((*r)[0].version == 1u);
  BOOST_TEST((*r)[0].value == "100");
  BOOST_TEST(db().read("acct/1")->version == 1u);
}

BOOST_AUTO_TEST_CASE(results_come_in_the_order_of_ids_with_new_versions) {
  // Staged in another order than locked, and acct/1 is not written.
  auto r = db().transact({"acct/1", "acct/2", "acct/3"}, [](transaction& t) {
    t.put("acct/3", "103");
    return t.erase("acct/2");
  });
  BOOST_REQUIRE(r);
  BOOST_REQUIRE(r->size() == 3u);
  BOOST_TEST(((*r)[0] == record{"acct/1", 1, "100", false})); // as read
  BOOST_TEST(((*r)[1] == record{"acct/2", 2, {}, true}));     // tombstone
  BOOST_TEST(((*r)[2] == record{"acct/3", 2, "103", false})); // new version
  BOOST_TEST(((*r)[2] == db().read("acct/3").value()));
}

BOOST_AUTO_TEST_CASE(bad_input_is_refused_and_changes_nothing) {
  auto noop = [](transaction&) { return caf::error{}; };
  BOOST_TEST(code(db().transact({}, noop)) == errc::invalid_argument);
  BOOST_TEST(code(db().transact({"acct/1", "acct/1"}, noop))
             == errc::invalid_argument);
  BOOST_TEST(code(db().transact({"bad id"}, noop)) == errc::invalid_argument);
  std::vector<entity_id> many;
  for (int i = 0; i < 65; ++i)
    many.push_back("acct/" + std::to_string(i));
  BOOST_TEST(code(db().transact(many, noop)) == errc::too_large);
  auto outside = db().transact({"acct/1"}, [](transaction& t) {
    BOOST_TEST(code_of(t.put("acct/2", "1")) == errc::invalid_argument);
    return caf::error{};
  });
  BOOST_CHECK(outside);
  auto big = db().transact({"acct/1"}, [&](transaction& t) {
    return t.put("acct/1", std::string(opts.limits.max_value_bytes + 1, 'x'));
  });
  BOOST_TEST(code(big) == errc::too_large);
  for (auto id : {"acct/1", "acct/2", "acct/3"})
    BOOST_TEST(db().read(id)->version == 1u);
}

BOOST_AUTO_TEST_CASE(unknown_and_finished_transactions_are_refused) {
  test::txn_client c{db()};
  BOOST_TEST(code_of(c.call<bool>(abort_atom::value, txn_id{424242}).error())
             == errc::unknown_transaction);
  BOOST_REQUIRE(c.begin());
  BOOST_REQUIRE(c.lock({"acct/1"}));
  BOOST_REQUIRE(c.abort());
  auto late = c.commit({txn_write{"acct/1", false, "0"}});
  BOOST_TEST(code_of(late.error()) == errc::unknown_transaction);
  BOOST_TEST(balance("acct/1") == 100);
  BOOST_TEST(db().read("acct/1")->version == 1u);
}

BOOST_AUTO_TEST_CASE(interactive_writes_must_target_locked_ids) {
  test::txn_client c{db()};
  BOOST_REQUIRE(c.begin());
  BOOST_REQUIRE(c.lock({"acct/1"}));
  auto stray = c.commit({txn_write{"acct/1", false, "1"},
                         txn_write{"acct/2", false, "0"}});
  BOOST_TEST(code_of(stray.error()) == errc::invalid_argument);
  // A refused commit ends the transaction: nothing written, locks free.
  auto again = c.commit({txn_write{"acct/1", false, "99"}});
  BOOST_TEST(code_of(again.error()) == errc::unknown_transaction);
  BOOST_TEST(balance("acct/1") == 100);
  BOOST_TEST(balance("acct/2") == 100);
  test::txn_client other{db()};
  BOOST_REQUIRE(other.begin(test::txn_opts(50ms, 10s)));
  BOOST_CHECK(other.lock({"acct/1"}));
  BOOST_REQUIRE(other.abort());

  test::txn_client d{db()};
  BOOST_REQUIRE(d.begin());
  BOOST_REQUIRE(d.lock({"acct/1"}));
  auto twice = d.commit({txn_write{"acct/1", false, "1"},
                         txn_write{"acct/1", false, "2"}});
  BOOST_TEST(code_of(twice.error()) == errc::invalid_argument);
  BOOST_TEST(code_of(d.abort().error()) == errc::unknown_transaction);
  BOOST_TEST(db().read("acct/1")->version == 1u);
}

BOOST_AUTO_TEST_CASE(a_refused_lock_call_ends_the_transaction) {
  test::txn_client c{db()};
  BOOST_REQUIRE(c.begin());
  BOOST_REQUIRE(c.lock({"acct/1"}));
  BOOST_TEST(code_of(c.lock({"bad id"}).error()) == errc::invalid_argument);
  BOOST_TEST(code_of(c.abort().error()) == errc::unknown_transaction);
  BOOST_CHECK(transfer("acct/1", "acct/2", 1)); // acct/1's lock is free
}

BOOST_AUTO_TEST_CASE(a_body_that_throws_aborts_and_frees_the_locks) {
  BOOST_CHECK_THROW(db().transact({"acct/1", "acct/2"},
                                  [](transaction& t) -> caf::error {
                                    t.put("acct/1", "0");
                                    throw std::runtime_error("boom");
                                  }),
                    std::runtime_error);
  BOOST_TEST(balance("acct/1") == 100);
  txn_options quick;
  quick.lock_wait = 100ms; // the locks must be free now, not at lease end
  auto r = db().transact(
    {"acct/1", "acct/2"}, [](transaction& t) { return t.put("acct/2", "7"); },
    quick);
  BOOST_TEST(code(r) == errc::none);
  BOOST_TEST(balance("acct/2") == 7);
}

BOOST_AUTO_TEST_CASE(begin_and_lock_in_one_call) {
  test::txn_client c{db()};
  auto begun = c.call<txn_begun>(begin_atom::value, txn_options{},
                                 std::vector<entity_id>{"acct/2", "acct/1"});
  BOOST_REQUIRE(begun);
  BOOST_TEST(!begun->error);
  BOOST_REQUIRE(begun->locked.size() == 2u);
  BOOST_TEST(begun->locked[0].id == "acct/2"); // in the order asked for
  BOOST_TEST(begun->locked[1].value == "100");
  c.handle = begun->handle;
  BOOST_REQUIRE(c.commit({txn_write{"acct/1", false, "1"}}));
  BOOST_TEST(balance("acct/1") == 1);

  // Failing to lock is reported inside the answer, with the age to retry.
  test::txn_client old{db()};
  BOOST_REQUIRE(old.begin(test::txn_opts(1s, 10s)));
  BOOST_REQUIRE(old.lock({"acct/3"}));
  auto young = c.call<txn_begun>(begin_atom::value, test::txn_opts(1s, 10s),
                                 std::vector<entity_id>{"acct/3"});
  BOOST_REQUIRE(young);
  BOOST_TEST(code_of(young->error) == errc::aborted);
  BOOST_TEST(young->handle.age > old.handle.age);
  c.handle = young->handle;
  BOOST_TEST(code_of(c.abort().error()) == errc::unknown_transaction);
  BOOST_REQUIRE(old.abort());

  auto bad = c.call<txn_begun>(begin_atom::value, test::txn_opts(0ms, 10s),
                               std::vector<entity_id>{"acct/1"});
  BOOST_TEST(code_of(bad.error()) == errc::invalid_argument);
  auto bad_id = c.call<txn_begun>(begin_atom::value, txn_options{},
                                  std::vector<entity_id>{"no such id!"});
  BOOST_REQUIRE(bad_id);
  BOOST_TEST(code_of(bad_id->error) == errc::invalid_argument);
}

BOOST_AUTO_TEST_CASE(bad_transaction_options_are_refused) {
  test::txn_client c{db()};
  auto h = c.begin(test::txn_opts(std::chrono::milliseconds{0},
                                  std::chrono::milliseconds{100}));
  BOOST_TEST(code_of(h.error()) == errc::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
