// Requests over the server's limits (entactd's --max-value-bytes and
// --max-txn-entities) are refused whole, change nothing, and leave the
// connection usable. Runs against a real entactd on 127.0.0.1.

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "entact/client.hpp"
#include "support/print.hpp"
#include "support/remote_client.hpp"
#include "support/server_process.hpp"
#include "support/txn_helpers.hpp"

using namespace entact;
using namespace entact::test;

BOOST_AUTO_TEST_SUITE(limits)

BOOST_AUTO_TEST_CASE(oversized_requests_are_refused_and_change_nothing) {
  test::server_process server{{"--max-value-bytes=1000",
                               "--max-txn-entities=4"}};
  auto db = connect_or_throw(server.port());
  const std::string fits(1000, 'a');
  const std::string over(1001, 'b');
  BOOST_REQUIRE(db->create("v", fits));
  BOOST_TEST(code(db->create("w", over)) == errc::too_large);
  BOOST_TEST(code(db->read("w")) == errc::not_found);
  BOOST_TEST(code(db->update("v", 1, over)) == errc::too_large);
  BOOST_TEST(code(db->write_unconditionally("v", over)) == errc::too_large);
  // Far over the limit: the whole 8 MiB crosses the wire and is refused.
  BOOST_TEST(code(db->write_unconditionally("v", std::string(8 << 20, 'c')))
             == errc::too_large);
  BOOST_TEST(db->read("v")->version == 1u);
  BOOST_TEST(db->read("v")->value == fits);

  // Transactions: too many entities, or an oversized staged value.
  auto five = ids_of("t/", 5);
  auto four = ids_of("t/", 4);
  bool ran = false;
  auto too_many = db->transact(five, [&](transaction& t) {
    ran = true;
    return t.put("t/0", "x");
  });
  BOOST_TEST(code(too_many) == errc::too_large);
  BOOST_TEST(!ran);
  auto big_value = db->transact(four, [&](transaction& t) {
    t.put("t/0", "small");
    return t.put("t/1", over);
  });
  BOOST_TEST(code(big_value) == errc::too_large);
  // Batches: too many ops, or one oversized value.
  std::vector<write_op> five_ops;
  for (auto& id : five)
    five_ops.push_back(write_op::create(id, "x"));
  BOOST_TEST(code(db->apply_batch(five_ops)) == errc::too_large);
  BOOST_TEST(code(db->apply_batch({write_op::create("t/0", "x"),
                                   write_op::create("t/1", over)}))
             == errc::too_large);
  auto all = db->read_many(five);
  BOOST_REQUIRE(all);
  for (auto& rec : *all)
    BOOST_TEST(rec.version == no_version, rec.id << " was written");

  // The same connection is fine afterwards: limits are per request.
  auto ok = db->transact(four, [&](transaction& t) {
    for (auto& id : four)
      if (auto err = t.put(id, fits))
        return err;
    return caf::error{};
  });
  BOOST_TEST(code(ok) == errc::none);
  std::vector<write_op> four_ops;
  for (auto& id : ids_of("b/", 4))
    four_ops.push_back(write_op::create(id, fits));
  BOOST_TEST(code(db->apply_batch(four_ops)) == errc::none);
  BOOST_TEST(db->update("v", 1, "smaller")->version == 2u);
  BOOST_TEST(db->read("t/3")->value == fits);
  BOOST_TEST(server.running());
}

BOOST_AUTO_TEST_SUITE_END()
