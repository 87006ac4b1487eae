// A scan limit over the server's --max-scan-records is answered, not
// refused: the page holds at most the server's bound and the caller follows
// the cursor. The client's and the CLI's default limit (100) against an
// entactd started with --max-scan-records=10 pages through everything,
// no record missed or repeated.

#include <boost/test/unit_test.hpp>

#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "entact/client.hpp"
#include "support/print.hpp"
#include "support/remote_client.hpp"
#include "support/run_command.hpp"
#include "support/scan_pages.hpp"
#include "support/server_process.hpp"

using namespace entact;
using entact::test::code;
using entact::test::scan_of;

namespace {

/// 35 records, so that pages of 10 end inside the data.
constexpr int record_count = 35;

std::string id_of(int i) {
  // Zero-padded: id order is number order.
  auto n = std::to_string(i);
  return "item/" + std::string(3 - n.size(), '0') + n;
}

struct bounded_server {
  test::server_process server{{"--max-scan-records=10"}};
  std::unique_ptr<client> db = test::connect_or_throw(server.port());

  bounded_server() {
    for (int i = 0; i < record_count; ++i)
      if (!db->create(id_of(i), "v" + std::to_string(i)))
        throw std::runtime_error("create failed");
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(remote_scan_bound, bounded_server)

BOOST_AUTO_TEST_CASE(the_default_limit_pages_through_a_lower_bound) {
  auto req = scan_of("item/");
  BOOST_REQUIRE(req.limit == default_scan_limit);
  BOOST_REQUIRE(default_scan_limit > 10u);
  std::vector<entity_id> seen;
  size_t pages = 0;
  for (;;) {
    auto page = db->scan(req);
    BOOST_REQUIRE_MESSAGE(page, (page ? "" : to_string(page.error())));
    ++pages;
    BOOST_TEST(page->records.size() <= 10u);
    for (auto& r : page->records)
      seen.push_back(r.id);
    if (!page->next_after)
      break;
    req.after = *page->next_after;
    BOOST_REQUIRE(pages < 100u); // a cursor that never ends
  }
  std::vector<entity_id> expected;
  for (int i = 0; i < record_count; ++i)
    expected.push_back(id_of(i));
  BOOST_TEST(seen == expected); // in order, none missed or repeated
  BOOST_TEST(pages >= 4u);      // 35 records, at most 10 a page
  // A limit far over the bound (the most a request can ask for) is cut at
  // it too; a limit within the bound is kept.
  auto big = db->scan(scan_of("item/", {}, UINT32_MAX));
  BOOST_REQUIRE(big);
  BOOST_TEST(big->records.size() == 10u);
  BOOST_TEST(test::cursor(*big) == id_of(9));
  auto three = db->scan(scan_of("item/", {}, 3));
  BOOST_REQUIRE(three);
  BOOST_TEST(three->records.size() == 3u);
  // A limit of 0 is still refused.
  BOOST_TEST(code(db->scan(scan_of("item/", {}, 0)))
             == errc::invalid_argument);
}

BOOST_AUTO_TEST_CASE(the_clis_default_scan_lists_everything) {
  auto r = test::run_command({ENTACT_CLI_PATH,
                              "--port=" + std::to_string(server.port()),
                              "scan", "--all"});
  BOOST_TEST(r.exit_code == 0, r.err);
  std::istringstream lines{r.out};
  std::vector<std::string> ids;
  for (std::string line; std::getline(lines, line);)
    ids.push_back(line.substr(0, line.find(' ')));
  std::vector<std::string> expected;
  for (int i = 0; i < record_count; ++i)
    expected.push_back(id_of(i));
  BOOST_TEST(ids == expected);
}

BOOST_AUTO_TEST_SUITE_END()
