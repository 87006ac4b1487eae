// Every entact::errc has one HTTP status (README, HTTP API: Errors): one
// case per row of the table.
#include <boost/test/unit_test.hpp>

#include "entact/errc.hpp"
#include "entact/serve_http.hpp"

using entact::errc;
using entact::http_status_of;

BOOST_AUTO_TEST_CASE(conflict_is_412_for_an_entity_and_409_in_a_batch) {
  BOOST_TEST(http_status_of(errc::conflict) == 412);
  BOOST_TEST(http_status_of(errc::conflict, true) == 409);
}

BOOST_AUTO_TEST_CASE(not_found_and_unknown_transaction_are_404) {
  BOOST_TEST(http_status_of(errc::not_found) == 404);
  BOOST_TEST(http_status_of(errc::unknown_transaction) == 404);
}

BOOST_AUTO_TEST_CASE(invalid_argument_is_400) {
  BOOST_TEST(http_status_of(errc::invalid_argument) == 400);
}

BOOST_AUTO_TEST_CASE(too_large_is_413) {
  BOOST_TEST(http_status_of(errc::too_large) == 413);
}

BOOST_AUTO_TEST_CASE(timeout_is_504) {
  BOOST_TEST(http_status_of(errc::timeout) == 504);
}

BOOST_AUTO_TEST_CASE(overloaded_closed_and_lock_timeout_are_503) {
  BOOST_TEST(http_status_of(errc::overloaded) == 503);
  BOOST_TEST(http_status_of(errc::closed) == 503);
  BOOST_TEST(http_status_of(errc::lock_timeout) == 503);
}

BOOST_AUTO_TEST_CASE(version_overflow_and_aborts_are_409) {
  BOOST_TEST(http_status_of(errc::version_overflow) == 409);
  BOOST_TEST(http_status_of(errc::aborted) == 409);
  BOOST_TEST(http_status_of(errc::lease_expired) == 409);
  BOOST_TEST(http_status_of(errc::retries_exhausted) == 409);
}

BOOST_AUTO_TEST_CASE(unreachable_is_502) {
  BOOST_TEST(http_status_of(errc::unreachable) == 502);
}

BOOST_AUTO_TEST_CASE(storage_failure_in_doubt_and_unassigned_are_500) {
  BOOST_TEST(http_status_of(errc::storage_failure) == 500);
  BOOST_TEST(http_status_of(errc::in_doubt) == 500);
  BOOST_TEST(http_status_of(errc::unassigned) == 500);
}

BOOST_AUTO_TEST_CASE(every_code_maps_to_an_error_status) {
  for (int c = 1; c <= static_cast<int>(errc::unassigned); ++c) {
    auto status = http_status_of(static_cast<errc>(c));
    BOOST_TEST_INFO("errc " << entact::to_string(static_cast<errc>(c)));
    BOOST_TEST((status >= 400 && status <= 599));
  }
}
