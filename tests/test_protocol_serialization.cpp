#include <boost/test/unit_test.hpp>

#include <ostream>
#include <string>

#include <caf/message.hpp>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>

#include "entact/conflict.hpp"
#include "entact/errc.hpp"
#include "entact/not_found.hpp"
#include "entact/record.hpp"
#include "entact/register_types.hpp"
#include "entact/write_op.hpp"
#include "support/print.hpp"


using namespace entact;

namespace {

/// Owns an actor system with entact's types: an error's context is a
/// `caf::message`, and (de)serializing it looks types up by name there.
struct fixture {
  entact::config cfg;
  caf::actor_system sys{cfg};

  template <class T>
  T round_trip(T x) {
    std::vector<char> buf;
    caf::binary_serializer sink{sys, buf};
    auto err = sink(x);
    BOOST_REQUIRE_MESSAGE(!err, "serialize: " << sys.render(err));
    BOOST_TEST(!buf.empty());
    T y;
    caf::binary_deserializer source{sys, buf};
    err = source(y);
    BOOST_REQUIRE_MESSAGE(!err, "deserialize: " << sys.render(err));
    return y;
  }
};

conflict sample_conflict() {
  return conflict{"order:17", 4, record{"order:17", 6, "shipped", false},
                  op_kind::update_if_version, "cancelled"};
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(serialization, fixture)

BOOST_AUTO_TEST_CASE(record_round_trips) {
  record live{"a", 42, std::string{"bin\0ary", 7}, false};
  BOOST_TEST((round_trip(live) == live));
  record gone{"b", max_version, {}, true};
  BOOST_TEST((round_trip(gone) == gone));
}

BOOST_AUTO_TEST_CASE(write_op_round_trips) {
  for (auto op : {write_op::update("a", 3, "x"), write_op::create("b", "y"),
                  write_op::erase("c", 9), write_op::unconditional("d", "z")}) {
    auto back = round_trip(op);
    BOOST_TEST(back.kind == op.kind);
    BOOST_TEST(back.id == op.id);
    BOOST_TEST(back.expected_version == op.expected_version);
    BOOST_TEST(back.value == op.value);
  }
}

BOOST_AUTO_TEST_CASE(conflict_round_trips) {
  auto c = sample_conflict();
  auto back = round_trip(c);
  BOOST_TEST(back.id == c.id);
  BOOST_TEST(back.expected_version == c.expected_version);
  BOOST_TEST((back.stored == c.stored));
  BOOST_TEST(back.attempted_kind == c.attempted_kind);
  BOOST_TEST(back.attempted_value == c.attempted_value);
}

BOOST_AUTO_TEST_CASE(error_carrying_a_conflict_round_trips) {
  auto err = make_conflict_error(sample_conflict());
  auto back = round_trip(err);
  BOOST_TEST(is_conflict(back));
  BOOST_TEST(back.category() == error_category);
  auto c = conflict_of(back);
  BOOST_REQUIRE(c);
  BOOST_TEST(c->id == "order:17");
  BOOST_TEST(c->expected_version == 4u);
  BOOST_TEST(c->stored.version == 6u);
  BOOST_TEST(c->stored.value == "shipped");
  BOOST_TEST(c->attempted_value == "cancelled");
}

BOOST_AUTO_TEST_CASE(a_not_found_keeps_its_stored_record) {
  auto back = round_trip(make_not_found_error(record{"order:9", 7, {}, true}));
  BOOST_TEST(is_not_found(back));
  auto stored = stored_of(back);
  BOOST_REQUIRE(stored);
  BOOST_TEST((*stored == record{"order:9", 7, {}, true}));
  auto text = sys.render(back);
  BOOST_TEST(text.find("order:9: deleted at v7") != std::string::npos, text);
  auto never = sys.render(make_not_found_error(record{"order:8", 0, {}, false}));
  BOOST_TEST(never.find("order:8: never existed") != std::string::npos, never);
}

BOOST_AUTO_TEST_CASE(retries_exhausted_keeps_its_cause) {
  auto back = round_trip(
    make_retries_exhausted_error(2, make_conflict_error(sample_conflict())));
  BOOST_TEST(code_of(back) == errc::retries_exhausted);
  auto cause = cause_of(back);
  BOOST_TEST(is_conflict(cause));
  auto c = conflict_of(cause);
  BOOST_REQUIRE(c);
  BOOST_TEST(c->stored.value == "shipped");
  auto text = sys.render(back);
  BOOST_TEST(text.find("gave up after 2 attempts; the last: entact::conflict")
               != std::string::npos,
             text);
  BOOST_TEST(!cause_of(make_error(errc::aborted, "insufficient funds")));
}

BOOST_AUTO_TEST_CASE(error_with_detail_round_trips_and_renders) {
  auto back = round_trip(make_error(errc::in_doubt, "disk said no"));
  BOOST_TEST(code_of(back) == errc::in_doubt);
  auto text = sys.render(back);
  BOOST_TEST(text.find("in_doubt") != std::string::npos, text);
  BOOST_TEST(text.find("disk said no") != std::string::npos, text);
}

BOOST_AUTO_TEST_CASE(truncated_bytes_fail_to_deserialize) {
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  auto c = sample_conflict();
  BOOST_REQUIRE(!sink(c));
  buf.resize(buf.size() / 2);
  conflict y;
  caf::binary_deserializer source{sys, buf};
  BOOST_TEST(static_cast<bool>(source(y)));
}

BOOST_AUTO_TEST_SUITE_END()
