#include <boost/test/unit_test.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "entact/resolve.hpp"
#include "support/engine_fixture.hpp"

using namespace entact;

namespace {

struct durable_fixture : entact::test::engine_fixture {
  durable_fixture() {
    opts.sync = true;
    reopen();
  }
};

std::string shared_key(int i) {
  return "counter/" + std::to_string(i % 4);
}

std::optional<std::string> increment(const record& r) {
  auto n = r.exists() ? std::stoll(r.value) : 0;
  return std::to_string(n + 1);
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(engine_concurrency, durable_fixture)

// T threads x M read-modify-writes with sync on: no update is lost, and
// every thread's private entity ends at exactly M versions.
BOOST_AUTO_TEST_CASE(concurrent_read_modify_write_loses_nothing) {
  constexpr int threads = 8;
  constexpr int updates = 150;
  std::atomic<int> failures{0};
  std::vector<std::thread> users;
  for (int t = 0; t < threads; ++t)
    users.emplace_back([&, t] {
      auto own = "own/" + std::to_string(t);
      retry_policy policy;
      policy.max_attempts = 1000;
      for (int i = 0; i < updates; ++i) {
        if (!read_modify_write(db(), shared_key(t + i), increment, policy))
          ++failures;
        if (!read_modify_write(db(), own, increment, policy))
          ++failures;
      }
    });
  for (auto& u : users)
    u.join();
  BOOST_TEST(failures == 0);
  long long total = 0;
  for (int k = 0; k < 4; ++k) {
    auto r = db().read(shared_key(k));
    BOOST_REQUIRE(r);
    total += std::stoll(r->value);
    BOOST_TEST(r->version == static_cast<version_t>(std::stoll(r->value)));
  }
  BOOST_TEST(total == threads * updates);
  for (int t = 0; t < threads; ++t) {
    auto r = db().read("own/" + std::to_string(t));
    BOOST_REQUIRE(r);
    BOOST_TEST(r->version == static_cast<version_t>(updates));
  }
}

// Many writers racing on one version: exactly one wins, the others get a
// conflict naming the winner.
BOOST_AUTO_TEST_CASE(racing_writers_on_one_version_have_one_winner) {
  BOOST_REQUIRE(db().create("prize", "nobody"));
  constexpr int writers = 32;
  std::vector<std::future<caf::expected<record>>> futures;
  for (int w = 0; w < writers; ++w)
    futures.push_back(db().apply_future(
      write_op::update("prize", 1, "writer " + std::to_string(w))));
  std::string winner;
  int wins = 0;
  int conflicts = 0;
  std::vector<caf::error> refusals;
  for (auto& f : futures) {
    auto r = f.get();
    if (r) {
      ++wins;
      winner = r->value;
    } else {
      refusals.push_back(r.error());
    }
  }
  for (auto& err : refusals) {
    auto c = conflict_of(err);
    if (c && c->stored.version == 2 && c->stored.value == winner)
      ++conflicts;
  }
  BOOST_TEST(wins == 1);
  BOOST_TEST(conflicts == writers - 1);
  BOOST_TEST(db().read("prize")->value == winner);
}

BOOST_AUTO_TEST_SUITE_END()
