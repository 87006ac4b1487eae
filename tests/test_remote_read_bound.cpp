// limits::max_read_bytes through a real entactd (--max-read-bytes): a
// read_many whose reply would cross the server's bound is `too_large` on
// the client, and the server refuses it at the bound instead of building
// and queueing the whole reply.

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "entact/client.hpp"
#include "support/print.hpp"
#include "support/server_process.hpp"

using namespace entact;
using entact::test::code;

namespace {

std::unique_ptr<client> connect_to(const test::server_process& server) {
  auto c = entact::connect("127.0.0.1", server.port());
  if (!c)
    throw std::runtime_error("connect failed: " + to_string(c.error()));
  return std::move(*c);
}

bool mentions(const caf::error& err, const std::string& needle) {
  return to_string(err).find(needle) != std::string::npos;
}

} // namespace

BOOST_AUTO_TEST_SUITE(remote_read_bound)

BOOST_AUTO_TEST_CASE(the_servers_bound_applies_to_remote_reads) {
  test::server_process server{{"--max-read-bytes=1000",
                                "--max-value-bytes=500"}};
  auto db = connect_to(server);
  std::vector<entity_id> ids;
  for (int i = 0; i < 10; ++i) {
    ids.push_back("k" + std::to_string(i));
    BOOST_REQUIRE(db->create(ids.back(), std::string(100, 'v')));
  }
  auto fits = db->read_many({ids.begin(), ids.begin() + 9});
  BOOST_REQUIRE(fits);
  BOOST_TEST(fits->size() == 9u);
  auto over = db->read_many(ids);
  BOOST_REQUIRE(!over);
  BOOST_TEST(code(over) == errc::too_large);
  BOOST_TEST(mentions(over.error(), "the first 9 of its 10 ids fit"),
             to_string(over.error()));
  // The connection is still good after the refusal.
  BOOST_TEST(db->read("k0").value().value == std::string(100, 'v'));
}

BOOST_AUTO_TEST_CASE(a_4_gib_reply_is_refused_at_the_default_bound) {
  test::server_process server;
  auto db = connect_to(server);
  std::string mib(limits{}.max_value_bytes, 'x');
  BOOST_REQUIRE(db->create("big", mib));
  std::vector<entity_id> ids(limits{}.max_read_ids, "big");
  auto over = db->read_many(ids);
  BOOST_REQUIRE(!over);
  BOOST_TEST(code(over) == errc::too_large);
  BOOST_TEST(mentions(over.error(), "the first 15 of its 4096 ids fit"),
             to_string(over.error()));
  auto fits = db->read_many(std::vector<entity_id>(15, "big"));
  BOOST_REQUIRE(fits);
  BOOST_TEST(fits->size() == 15u);
  BOOST_TEST(fits->back().value.size() == mib.size());
}

BOOST_AUTO_TEST_SUITE_END()
