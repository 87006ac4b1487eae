// A remote client cannot claim a wait-die age either: the client library
// has no field for one, a retry keeps its age over the wire only as it does
// embedded, and hand-built messages through a raw CAF connection (a hostile
// client's own `entact::txn_options`) get a fresh age or a refusal. Against
// a real entactd on 127.0.0.1.

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>

#include "entact/client.hpp"
#include "entact/register_types.hpp"
#include "support/print.hpp"
#include "support/remote_client.hpp"
#include "support/server_process.hpp"
#include "support/txn_client.hpp"
#include "support/txn_helpers.hpp"

using namespace entact;
using namespace entact::test;
using namespace std::chrono_literals;

namespace {

/// `entact::txn_options` as a client that still chose its age sends it.
struct options_with_age {
  caf::timespan lock_wait;
  caf::timespan lease;
  uint64_t age;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, options_with_age& x) {
  return f(caf::meta::type_name("entact::txn_options"), x.lock_wait, x.lease,
           x.age);
}

/// Today's `entact::txn_options` with an age smuggled in after it.
struct options_plus_age {
  caf::timespan lock_wait;
  caf::timespan lease;
  txn_id retry_of;
  uint64_t retry_token;
  uint64_t age;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, options_plus_age& x) {
  return f(caf::meta::type_name("entact::txn_options"), x.lock_wait, x.lease,
           x.retry_of, x.retry_token, x.age);
}

/// A hostile client: its own actor system, in which `entact::txn_options`
/// is whatever it likes, talking to the server's published actor untyped.
struct hostile_client {
  struct config : entact::config {
    config() {
      load<caf::io::middleman>();
      add_message_type<options_with_age>("entact::txn_options");
      add_message_type<options_plus_age>("entact::txn_options");
    }
  };

  config cfg;
  caf::actor_system sys{cfg};
  /// Owns the transactions it begins, for as long as the client lives.
  caf::scoped_actor self{sys};
  caf::actor server;

  /// CAF checks the interface on connecting (so the typed handle), then
  /// lets an untyped one send anything.
  explicit hostile_client(uint16_t port) {
    auto s = sys.middleman().remote_actor<server_api>("127.0.0.1", port);
    if (!s)
      throw std::runtime_error("connect failed: " + sys.render(s.error()));
    server = caf::actor_cast<caf::actor>(std::move(*s));
  }

  template <class T, class... Ts>
  caf::expected<T> call(caf::timespan timeout, Ts&&... xs) {
    caf::expected<T> result = caf::sec::request_timeout;
    self->request(server, timeout, std::forward<Ts>(xs)...)
      .receive([&](T& x) { result = std::move(x); },
               [&](caf::error& err) { result = std::move(err); });
    return result;
  }
};

coordinator_api coordinator_of(client& c) {
  return caf::actor_cast<coordinator_api>(c.server());
}

const std::vector<entity_id> x_only{"x"};

} // namespace

BOOST_AUTO_TEST_SUITE(remote_ages)

BOOST_AUTO_TEST_CASE(a_hostile_client_cannot_claim_an_age) {
  test::server_process server;
  auto db = connect_or_throw(server.port());
  BOOST_REQUIRE(db->create("x", "0"));
  // Another client's transaction, aborted before the holder began: its
  // retry would be older than the holder.
  txn_client victim{db->system(), coordinator_of(*db)};
  BOOST_REQUIRE(victim.begin(txn_opts(1s, 10s)));
  BOOST_REQUIRE(victim.abort());
  txn_client holder{db->system(), coordinator_of(*db)};
  BOOST_REQUIRE(holder.begin(txn_opts(1s, 20s)));
  BOOST_REQUIRE(holder.lock(x_only));
  hostile_client evil{server.port()};
  // An age appended to today's fields: the server never reads it. The
  // transaction gets a fresh age, younger than the holder's, so it dies.
  auto h = evil.call<txn_handle>(30s, begin_atom::value,
                                 options_plus_age{1s, 10s, 0, 0, 1});
  BOOST_REQUIRE(h);
  BOOST_TEST(h->age == h->id);
  BOOST_TEST(h->age > holder.handle.age);
  auto locked = evil.call<std::vector<record>>(30s, lock_atom::value, h->id,
                                               x_only);
  BOOST_TEST(code(locked) == errc::aborted);
  // Followed by ids, the smuggled bytes are read as the start of the ids:
  // at worst bad ids, never an age.
  auto begun = evil.call<txn_begun>(
    30s, begin_atom::value, options_plus_age{1s, 10s, 0, 0, 1}, x_only);
  BOOST_REQUIRE(begun);
  BOOST_TEST(begun->handle.age == begun->handle.id);
  BOOST_TEST(begun->handle.age > holder.handle.age);
  BOOST_TEST(static_cast<bool>(begun->error));
  // Naming the holder (running) or the victim's aborted attempt without
  // its token: refused.
  for (auto target : {holder.handle.id, victim.handle.id})
    for (uint64_t guess : {uint64_t{0}, uint64_t{1}, target}) {
      auto claim = evil.call<txn_handle>(
        30s, begin_atom::value, txn_options{1s, 10s, target, guess});
      BOOST_TEST(code(claim) == errc::invalid_argument);
    }
  // The layout of a client that chose its age: the server cannot read it
  // as its options (they have more fields), so nothing begins (CAF answers
  // `unexpected_message`).
  auto old = evil.call<txn_handle>(2s, begin_atom::value,
                                   options_with_age{1s, 10s, 1});
  BOOST_TEST(!old);
  if (!old)
    BOOST_TEST_MESSAGE("the old layout: " << evil.sys.render(old.error()));
  // The victim's own retry still keeps its age: older than the holder, it
  // waits (and times out) instead of dying.
  auto retry = db->transact(
    x_only, [](transaction& t) { return t.put("x", "victim"); },
    retry_options(txn_opts(200ms, 10s), victim.handle), no_retry());
  BOOST_TEST(code(retry) == errc::lock_timeout);
  // The holder was never disturbed; the hostile connection still works.
  BOOST_REQUIRE(holder.commit({txn_write{"x", false, "holder"}}));
  BOOST_TEST(db->read("x")->value == "holder");
  auto after = evil.call<txn_handle>(30s, begin_atom::value, txn_opts(1s, 1s));
  BOOST_REQUIRE(after);
  BOOST_TEST(after->age > begun->handle.age);
  BOOST_TEST(server.running());
}

BOOST_AUTO_TEST_CASE(a_remote_retry_keeps_its_age_and_a_new_one_dies) {
  test::server_process server;
  auto db = connect_or_throw(server.port());
  BOOST_REQUIRE(db->create("x", "0"));
  auto older = aged_opts(db->system(), coordinator_of(*db),
                         txn_opts(200ms, 10s));
  txn_client holder{db->system(), coordinator_of(*db)};
  BOOST_REQUIRE(holder.begin(txn_opts(1s, 20s)));
  BOOST_REQUIRE(holder.lock(x_only));
  auto body = [](transaction& t) { return t.put("x", "other"); };
  // A new transaction is younger than the holder: wait-die kills it.
  auto young = db->transact(x_only, body, txn_opts(5s, 10s), no_retry());
  BOOST_TEST(code(young) == errc::retries_exhausted);
  BOOST_TEST(code_of(cause_of(young.error())) == errc::aborted);
  // The retry of an attempt begun before the holder is older: it waits.
  auto old = db->transact(x_only, body, older, no_retry());
  BOOST_TEST(code(old) == errc::lock_timeout);
  BOOST_REQUIRE(holder.commit({txn_write{"x", false, "holder"}}));
  BOOST_TEST(db->read("x")->value == "holder");
}

BOOST_AUTO_TEST_SUITE_END()
