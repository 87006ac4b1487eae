#include <boost/test/unit_test.hpp>

#include "support/engine_fixture.hpp"

using namespace entact;
using entact::test::code;

namespace {

struct tiny_queue_fixture : entact::test::engine_fixture {
  tiny_queue_fixture() {
    opts.max_queue_per_entity = 4;
    opts.sync = true; // slow commits, so the queue fills
    reopen();
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(engine_overload, tiny_queue_fixture)

BOOST_AUTO_TEST_CASE(a_full_entity_queue_refuses_with_overloaded) {
  constexpr int n = 400;
  std::vector<std::future<caf::expected<record>>> futures;
  for (int i = 0; i < n; ++i)
    futures.push_back(db().apply_future(
      write_op::unconditional("hot", std::to_string(i))));
  int committed = 0;
  int overloaded = 0;
  for (auto& f : futures) {
    auto r = f.get();
    if (r)
      ++committed;
    else if (code(r) == errc::overloaded)
      ++overloaded;
  }
  BOOST_TEST(committed + overloaded == n);
  BOOST_TEST(overloaded > 0);
  BOOST_TEST(committed >= 4);
  // Refused requests changed nothing: one version per committed write.
  auto r = db().read("hot");
  BOOST_REQUIRE(r);
  BOOST_TEST(r->version == static_cast<version_t>(committed));
  // Other entities are not affected, and the hot one recovers.
  BOOST_CHECK(db().create("cold", "x"));
  BOOST_CHECK(db().write_unconditionally("hot", "calm"));
}

BOOST_AUTO_TEST_SUITE_END()
