// The scan vocabulary on its own: scan_request and scan_page cross the
// wire unchanged (next_after set or not, through CAF messages too), and
// validate_scan's rules.

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/message.hpp>

#include "entact/errc.hpp"
#include "entact/register_types.hpp"
#include "entact/scan.hpp"
#include "support/print.hpp"

using namespace entact;

namespace {

struct fixture {
  entact::config cfg;
  caf::actor_system sys{cfg};

  template <class T>
  T round_trip(T x) {
    std::vector<char> buf;
    caf::binary_serializer sink{sys, buf};
    auto err = sink(x);
    BOOST_REQUIRE_MESSAGE(!err, "serialize: " << sys.render(err));
    T y;
    caf::binary_deserializer source{sys, buf};
    err = source(y);
    BOOST_REQUIRE_MESSAGE(!err, "deserialize: " << sys.render(err));
    return y;
  }
};

errc code_of_check(const scan_request& req, const limits& lim = {}) {
  return code_of(validate_scan(req, lim));
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(protocol_scan, fixture)

BOOST_AUTO_TEST_CASE(requests_and_pages_round_trip) {
  scan_request req{"acct/", "acct/17", 250, true};
  BOOST_TEST((round_trip(req) == req));
  scan_page more{{record{"acct/18", 3, std::string{"a\0b", 3}, false},
                  record{"acct/19", 2, {}, true}},
                 entity_id{"acct/19"}};
  BOOST_TEST((round_trip(more) == more));
  scan_page last{{record{"z", 1, "v", false}}, std::nullopt};
  auto back = round_trip(last);
  BOOST_TEST((back == last));
  BOOST_TEST(!back.next_after);
  // An empty cursor is a cursor, not "none".
  scan_page empty_cursor{{}, entity_id{}};
  BOOST_TEST(round_trip(empty_cursor).next_after.has_value());
  // Inside a message, as a reply travels.
  auto msg = caf::make_message(more);
  BOOST_TEST((round_trip(msg).get_as<scan_page>(0) == more));
}

BOOST_AUTO_TEST_CASE(validation) {
  BOOST_TEST(code_of_check({}) == errc::none);
  BOOST_TEST(code_of_check({"", "", 1, false}) == errc::none);
  BOOST_TEST(code_of_check({"", "", 0, false}) == errc::invalid_argument);
  // Over the bound: allowed, the page is cut at it.
  BOOST_TEST(code_of_check({"", "", 1001, false}) == errc::none);
  limits small;
  small.max_scan_records = 5;
  BOOST_TEST(code_of_check({"", "", 5, false}, small) == errc::none);
  BOOST_TEST(code_of_check({"", "", 6, false}, small) == errc::none);
  BOOST_TEST(page_limit({"", "", 6, false}, small) == 5u);
  BOOST_TEST(page_limit({"", "", 4, false}, small) == 4u);
  BOOST_TEST(page_limit({"", "", UINT32_MAX, false}, {}) == 1000u);
  BOOST_TEST(code_of_check({"a b", "", 1, false}) == errc::invalid_argument);
  BOOST_TEST(code_of_check({"acct/", "x y", 1, false})
             == errc::invalid_argument);
  BOOST_TEST(code_of_check({std::string(257, 'a'), "", 1, false})
             == errc::too_large);
  BOOST_TEST(code_of_check({"", std::string(257, 'a'), 1, false})
             == errc::too_large);
  // A cursor need not start with the prefix.
  BOOST_TEST(code_of_check({"b/", "a/9", 1, false}) == errc::none);
}

BOOST_AUTO_TEST_SUITE_END()
