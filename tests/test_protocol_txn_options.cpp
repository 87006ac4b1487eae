// The wire form of transaction options and handles: no age travels from a
// caller, only the attempt a retry names and that attempt's token.

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>

#include "entact/register_types.hpp"
#include "entact/txn.hpp"

using namespace entact;
using namespace std::chrono_literals;

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
    BOOST_TEST(source.remaining() == 0u);
    return y;
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(txn_wire, fixture)

BOOST_AUTO_TEST_CASE(options_carry_the_attempt_a_retry_names) {
  txn_options opts;
  opts.lock_wait = 250ms;
  opts.lease = 3s;
  BOOST_TEST(opts.retry_of == 0u); // a new transaction by default
  txn_handle earlier{41, 7, 0xfeedfacecafebeefull};
  auto back = round_trip(retry_options(opts, earlier));
  BOOST_TEST(back.lock_wait.count() == caf::timespan{250ms}.count());
  BOOST_TEST(back.lease.count() == caf::timespan{3s}.count());
  BOOST_TEST(back.retry_of == 41u);
  BOOST_TEST(back.retry_token == 0xfeedfacecafebeefull);
}

BOOST_AUTO_TEST_CASE(a_handle_carries_its_age_and_token) {
  auto back = round_trip(txn_handle{9, 3, 12345});
  BOOST_TEST(back.id == 9u);
  BOOST_TEST(back.age == 3u);
  BOOST_TEST(back.token == 12345u);
}

BOOST_AUTO_TEST_SUITE_END()
