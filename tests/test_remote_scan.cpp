// database::scan through a real entactd: pages, cursors, tombstones and
// the server's own bounds (--max-scan-records, --max-read-bytes), through
// the frame guard (the request type is derived from server_api).

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "entact/client.hpp"
#include "support/print.hpp"
#include "support/remote_client.hpp"
#include "support/scan_pages.hpp"
#include "support/server_process.hpp"

using namespace entact;
using entact::test::code;
using entact::test::cursor;
using entact::test::ids_of;
using entact::test::scan_of;

namespace {

} // namespace

BOOST_AUTO_TEST_SUITE(remote_scan)

BOOST_AUTO_TEST_CASE(pages_over_the_wire_cover_everything_once) {
  test::server_process server;
  auto db = test::connect_or_throw(server.port());
  std::set<entity_id> expected;
  for (int i = 0; i < 60; ++i) {
    auto id = "user/" + std::to_string(i);
    BOOST_REQUIRE(db->create(id, "name " + std::to_string(i)));
    expected.insert(id);
  }
  BOOST_REQUIRE(db->create("other", "x"));
  BOOST_REQUIRE(db->create("user/gone", "x"));
  BOOST_REQUIRE(db->erase("user/gone", 1));
  std::vector<record> all;
  auto req = scan_of("user/", {}, 7);
  size_t pages = 0;
  for (;;) {
    auto page = db->scan(req);
    BOOST_REQUIRE_MESSAGE(page,
                          (page ? std::string{} : to_string(page.error())));
    ++pages;
    all.insert(all.end(), page->records.begin(), page->records.end());
    if (!page->next_after)
      break;
    req.after = *page->next_after;
  }
  std::vector<entity_id> seen;
  for (auto& r : all)
    seen.push_back(r.id);
  BOOST_TEST(seen
             == (std::vector<entity_id>{expected.begin(), expected.end()}));
  BOOST_TEST(pages == 9u); // 60 / 7, and "user/gone" is skipped
  BOOST_TEST(all.front().value == "name 0");
  BOOST_TEST(all.front().version == 1u);
  // Tombstones when asked for.
  auto with = scan_of("user/g");
  with.include_deleted = true;
  auto gone = db->scan(with);
  BOOST_REQUIRE(gone);
  BOOST_REQUIRE(gone->records.size() == 1u);
  BOOST_TEST(gone->records[0].deleted);
  BOOST_TEST(gone->records[0].version == 2u);
  BOOST_TEST(!gone->next_after);
  // A scan sees what a write acknowledged just before it.
  auto v2 = db->update("user/0", 1, "renamed");
  BOOST_REQUIRE(v2);
  auto first = db->scan(scan_of("user/", {}, 1));
  BOOST_REQUIRE(first);
  BOOST_TEST(first->records.at(0).value == "renamed");
  BOOST_TEST(first->records.at(0).version == 2u);
  BOOST_TEST(cursor(*first) == "user/0");
}

BOOST_AUTO_TEST_CASE(the_servers_bounds_apply_and_bad_requests_change_nothing) {
  test::server_process server{{"--max-scan-records=5",
                                "--max-read-bytes=1000",
                                "--max-value-bytes=500"}};
  auto db = test::connect_or_throw(server.port());
  for (int i = 0; i < 10; ++i)
    BOOST_REQUIRE(db->create("k" + std::to_string(i), std::string(200, 'v')));
  // Over the bound: cut at 5 records (here the byte bound cuts at 4).
  auto over = db->scan(scan_of("k", {}, 6));
  BOOST_REQUIRE(over);
  BOOST_TEST(over->records.size() == 4u);
  BOOST_TEST(code(db->scan(scan_of("k", {}, 0))) == errc::invalid_argument);
  BOOST_TEST(code(db->scan(scan_of("k k", {}, 5))) == errc::invalid_argument);
  BOOST_TEST(code(db->scan(scan_of("", std::string(300, 'a'), 5)))
             == errc::too_large);
  // Four records of 2 + 200 bytes fit 1000 bytes, five do not: the byte
  // bound cuts the page before the record limit does.
  auto page = db->scan(scan_of("k", {}, 5));
  BOOST_REQUIRE(page);
  BOOST_TEST(ids_of(*page)
             == (std::vector<entity_id>{"k0", "k1", "k2", "k3"}));
  BOOST_TEST(cursor(*page) == "k3");
  // A request far over the id bound passes the frame guard (it is under
  // the frame limit) and is refused by the server's check, nothing read.
  BOOST_TEST(code(db->scan(scan_of(std::string(1 << 20, 'a'), {}, 5)))
             == errc::too_large);
  // The connection is still good, and nothing changed.
  auto rec = db->read("k0");
  BOOST_REQUIRE(rec);
  BOOST_TEST(rec->version == 1u);
  page = db->scan(scan_of("k", "k7", 5));
  BOOST_REQUIRE(page);
  BOOST_TEST(ids_of(*page) == (std::vector<entity_id>{"k8", "k9"}));
  BOOST_TEST(!page->next_after);
  BOOST_TEST(server.running());
}

BOOST_AUTO_TEST_CASE(an_empty_store_scans_empty_without_its_metadata) {
  test::server_process server;
  auto db = test::connect_or_throw(server.port());
  auto page = db->scan(scan_of(""));
  BOOST_REQUIRE(page);
  BOOST_TEST(page->records.empty());
  BOOST_TEST(!page->next_after);
}

BOOST_AUTO_TEST_SUITE_END()
