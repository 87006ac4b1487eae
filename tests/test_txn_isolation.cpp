#include <boost/test/unit_test.hpp>

#include <atomic>
#include <random>
#include <thread>

#include "support/engine_fixture.hpp"

using namespace entact;

namespace {

constexpr int accounts = 20;
constexpr int initial = 100;

std::string acct(int i) {
  return "acct/" + std::to_string(i);
}

std::vector<entity_id> all_accounts() {
  std::vector<entity_id> ids;
  for (int i = 0; i < accounts; ++i)
    ids.push_back(acct(i));
  return ids;
}

struct isolation_fixture : entact::test::engine_fixture {
  isolation_fixture() {
    for (int i = 0; i < accounts; ++i)
      if (!db().create(acct(i), std::to_string(initial)))
        throw std::runtime_error("setup failed");
  }

  bool pessimistic_transfer(int from, int to, int amount) {
    auto r = db().transact({acct(from), acct(to)}, [&](transaction& t) {
      auto a = std::stoi(t.get(acct(from))->value);
      auto b = std::stoi(t.get(acct(to))->value);
      t.put(acct(from), std::to_string(a - amount));
      return t.put(acct(to), std::to_string(b + amount));
    });
    if (!r)
      BOOST_TEST_MESSAGE("pessimistic transfer failed: " << to_string(r.error()));
    return static_cast<bool>(r);
  }

  bool optimistic_transfer(int from, int to, int amount) {
    for (int attempt = 0; attempt < 1000; ++attempt) {
      auto recs = db().read_many({acct(from), acct(to)});
      if (!recs)
        return false;
      auto& a = (*recs)[0];
      auto& b = (*recs)[1];
      auto r = db().apply_batch(
        {write_op::update(a.id, a.version,
                          std::to_string(std::stoi(a.value) - amount)),
         write_op::update(b.id, b.version,
                          std::to_string(std::stoi(b.value) + amount))});
      if (r)
        return true;
      if (!is_conflict(r.error()))
        return false;
    }
    return false;
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(txn_isolation, isolation_fixture)

// Pessimistic and optimistic transfers race on few accounts while a checker
// sums all balances from snapshots: no snapshot may see half a transfer.
BOOST_AUTO_TEST_CASE(no_snapshot_sees_half_a_transfer) {
  std::atomic<bool> done{false};
  std::atomic<int> snapshots{0};
  std::atomic<int> bad_snapshots{0};
  std::thread checker([&] {
    while (!done) {
      auto recs = db().read_many(all_accounts());
      if (!recs) {
        ++bad_snapshots;
        continue;
      }
      long total = 0;
      for (auto& r : *recs)
        total += std::stol(r.value);
      if (total != long{accounts} * initial)
        ++bad_snapshots;
      ++snapshots;
    }
  });
  std::atomic<int> failed{0};
  std::atomic<int> committed{0};
  std::vector<std::thread> users;
  for (int u = 0; u < 6; ++u)
    users.emplace_back([&, u] {
      std::mt19937 rng(u);
      std::uniform_int_distribution<int> pick(0, accounts - 1);
      for (int i = 0; i < 150; ++i) {
        int from = pick(rng);
        int to = pick(rng);
        if (from == to)
          continue;
        bool ok = u % 2 == 0 ? pessimistic_transfer(from, to, 1 + i % 7)
                             : optimistic_transfer(from, to, 1 + i % 7);
        ++(ok ? committed : failed);
      }
    });
  for (auto& u : users)
    u.join();
  done = true;
  checker.join();
  BOOST_TEST(failed == 0);
  BOOST_TEST(committed > 500);
  BOOST_TEST(snapshots > 10);
  BOOST_TEST(bad_snapshots == 0);
  auto final_state = db().read_many(all_accounts());
  BOOST_REQUIRE(final_state);
  long total = 0;
  for (auto& r : *final_state)
    total += std::stol(r.value);
  BOOST_TEST(total == long{accounts} * initial);
  // Entity caches agree with storage after the mix of paths.
  for (int i = 0; i < accounts; ++i)
    BOOST_TEST(db().get(acct(i))->version == db().read(acct(i))->version);
}

BOOST_AUTO_TEST_SUITE_END()
