// Creating and reading a cluster in a real ZooKeeper: the layout, refusals
// of bad input and of a second create, the stable shard hash.
#include <boost/test/unit_test.hpp>

#include "entact/cluster/cluster_admin.hpp"
#include "entact/cluster/cluster_names.hpp"
#include "entact/cluster/shard_hash.hpp"
#include "support/cluster_fixture.hpp"

using namespace entact;
using namespace entact::cluster;

BOOST_FIXTURE_TEST_SUITE(cluster_admin, test::cluster_fixture)

BOOST_AUTO_TEST_CASE(created_cluster_reads_back_unowned_at_epoch_0) {
  BOOST_REQUIRE(!create_cluster(*admin, "shop", 8));
  auto view = read_cluster(*admin, "shop");
  BOOST_REQUIRE(view);
  BOOST_TEST(view->name == "shop");
  BOOST_TEST(view->shards == 8u);
  BOOST_TEST(view->members.empty());
  BOOST_REQUIRE(view->map.size() == 8u);
  for (uint32_t n = 0; n < 8; ++n) {
    BOOST_TEST(view->map[n].shard == n);
    BOOST_TEST(view->map[n].record.owner.empty());
    BOOST_TEST(view->map[n].record.epoch == 0u);
  }
}

BOOST_AUTO_TEST_CASE(second_create_is_refused_and_changes_nothing) {
  BOOST_REQUIRE(!create_cluster(*admin, "shop", 8));
  auto again = create_cluster(*admin, "shop", 3);
  BOOST_TEST(code_of(again) == errc::conflict);
  BOOST_TEST(to_string(again).find("exists already") != std::string::npos);
  auto view = read_cluster(*admin, "shop");
  BOOST_REQUIRE(view);
  BOOST_TEST(view->shards == 8u);
  BOOST_TEST(view->map.size() == 8u);
  // Another name is another cluster.
  BOOST_TEST(!create_cluster(*admin, "shop2", 3));
}

BOOST_AUTO_TEST_CASE(bad_names_and_counts_are_refused) {
  for (std::string bad : std::vector<std::string>{"", "a/b", "..", "a b", "a.b", "caf\xc3\xa9",
                          std::string(65, 'x')}) {
    BOOST_TEST_INFO("name '" << bad << "'");
    BOOST_TEST(code_of(create_cluster(*admin, bad, 4))
               == errc::invalid_argument);
    BOOST_TEST(code_of(read_cluster(*admin, bad).error())
               == errc::invalid_argument);
  }
  BOOST_TEST(code_of(create_cluster(*admin, "c", 0)) == errc::invalid_argument);
  BOOST_TEST(code_of(create_cluster(*admin, "c", max_shards + 1))
             == errc::invalid_argument);
  // Nothing was created by the refusals.
  BOOST_TEST(code_of(read_cluster(*admin, "c").error()) == errc::not_found);
  BOOST_TEST(!create_cluster(*admin, std::string(64, 'x'), 1));
  BOOST_REQUIRE(!create_cluster(*admin, "c", 2));
  BOOST_TEST(code_of(register_member(*admin, "c", "no/de", "127.0.0.1:1"))
             == errc::invalid_argument);
  for (std::string bad_address : std::vector<std::string>{
         "", "127.0.0.1", ":80", "host:0", "host:65536", "host:12ab",
        "ho st:80", std::string(300, 'h') + ":80"}) {
    BOOST_TEST_INFO("address '" << bad_address << "'");
    BOOST_TEST(code_of(register_member(*admin, "c", "n1", bad_address))
               == errc::invalid_argument);
  }
  BOOST_TEST(read_cluster(*admin, "c")->members.empty());
  BOOST_TEST(code_of(register_member(*admin, "nope", "n1", "127.0.0.1:1"))
             == errc::not_found);
}

BOOST_AUTO_TEST_CASE(cluster_addresses_parse_or_are_refused) {
  auto a = parse_cluster_address("127.0.0.1:2181/shop");
  BOOST_REQUIRE(a);
  BOOST_TEST(a->zk_hosts == "127.0.0.1:2181");
  BOOST_TEST(a->name == "shop");
  for (auto bad : {"127.0.0.1:2181", "127.0.0.1:2181/", "/shop",
                   "127.0.0.1/shop", "127.0.0.1:2181/a/b"})
    BOOST_TEST(code_of(parse_cluster_address(bad).error())
               == errc::invalid_argument);
}

BOOST_AUTO_TEST_CASE(the_shard_hash_is_fnv1a_64) {
  // Published FNV-1a 64 test vectors: the placement of ids never changes.
  BOOST_TEST(fnv1a_64("") == 0xcbf29ce484222325ull);
  BOOST_TEST(fnv1a_64("a") == 0xaf63dc4c8601ec8cull);
  BOOST_TEST(fnv1a_64("foobar") == 0x85944171f73967e8ull);
  BOOST_TEST(shard_of("foobar", 7) == 0x85944171f73967e8ull % 7);
  for (uint32_t shards : {1u, 2u, 16u, 1024u})
    BOOST_TEST(shard_of("acct/1", shards) < shards);
}

BOOST_AUTO_TEST_CASE(a_session_to_nowhere_fails_within_its_deadline) {
  auto port = test::free_loopback_port(); // nobody listens there
  zk_session::options opts;
  opts.hosts = "127.0.0.1:" + std::to_string(port);
  opts.connect_timeout = std::chrono::milliseconds{300};
  auto s = zk_session::open(opts);
  BOOST_REQUIRE(!s);
  BOOST_TEST(code_of(s.error()) == errc::unavailable);
  opts.hosts = "";
  BOOST_TEST(code_of(zk_session::open(opts).error())
             == errc::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
