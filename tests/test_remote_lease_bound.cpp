// No caller holds locks, or waits for them, longer than the engine allows:
// `engine_options::max_lease` (entactd --max-lease-ms) bounds a
// transaction's lease and lock wait, embedded and remote. A transaction
// asking for more is refused before it begins: its body never runs and
// nothing is locked or written.

#include <boost/test/unit_test.hpp>

#include <chrono>

#include "entact/errc.hpp"
#include "support/engine_fixture.hpp"
#include "support/remote_client.hpp"
#include "support/server_process.hpp"
#include "support/txn_helpers.hpp"

using namespace entact;
using namespace std::chrono_literals;
using entact::test::no_retry;
using entact::test::txn_opts;

namespace {

errc code_of_result(const caf::expected<std::vector<record>>& r) {
  return r ? errc::none : static_cast<errc>(r.error().code());
}

/// Runs a transaction on "x" that would write "taken"; counts its bodies.
caf::expected<std::vector<record>> try_take(database& db,
                                            const txn_options& opts,
                                            int& bodies) {
  return db.transact(
    {"x"},
    [&](transaction& t) {
      ++bodies;
      return t.put("x", "taken");
    },
    opts, no_retry());
}

/// Checks `db` refuses a lease or lock wait over `limit` and accepts both
/// at the limit.
void check_bound(database& db, std::chrono::milliseconds limit) {
  BOOST_REQUIRE(db.create("x", "free"));
  int bodies = 0;
  auto over = limit + 1ms;
  for (auto opts : {txn_opts(1s < limit ? 1s : limit, over),
                    txn_opts(over, 1s < limit ? 1s : limit)}) {
    auto r = try_take(db, opts, bodies);
    BOOST_TEST(code_of_result(r) == errc::invalid_argument);
    BOOST_TEST(!r);
    if (!r)
      BOOST_TEST(to_string(r.error()).find("max_lease")
                 != std::string::npos, to_string(r.error()));
  }
  BOOST_TEST(bodies == 0);
  auto x = db.get("x");
  BOOST_REQUIRE(x);
  BOOST_TEST(x->value == "free");
  BOOST_TEST(x->version == 1u);
  // Nothing stayed locked: a plain write goes through at once.
  BOOST_TEST(static_cast<bool>(db.update("x", 1, "still free")));
  auto at_limit = try_take(db, txn_opts(limit, limit), bodies);
  BOOST_TEST(static_cast<bool>(at_limit));
  BOOST_TEST(bodies == 1);
}

} // namespace

BOOST_AUTO_TEST_SUITE(embedded)

BOOST_FIXTURE_TEST_CASE(the_default_bound_is_a_minute,
                        entact::test::engine_fixture) {
  BOOST_TEST(opts.max_lease.count() == 60'000);
  check_bound(db(), opts.max_lease);
}

BOOST_FIXTURE_TEST_CASE(a_smaller_bound_is_kept, entact::test::engine_fixture) {
  opts.max_lease = 1500ms;
  reopen();
  check_bound(db(), 1500ms);
}

BOOST_FIXTURE_TEST_CASE(no_bound_is_refused_at_open,
                        entact::test::engine_fixture) {
  eng.reset();
  opts.max_lease = 0ms;
  auto e = engine::open(opts);
  BOOST_REQUIRE(!e);
  BOOST_TEST(static_cast<errc>(e.error().code()) == errc::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(entactd_bounds_remote_leases) {
  entact::test::server_process server{{"--max-lease-ms=2000"}};
  auto db = entact::test::connect_or_throw(server.port());
  check_bound(*db, 2000ms);
  BOOST_TEST(server.running());
}
