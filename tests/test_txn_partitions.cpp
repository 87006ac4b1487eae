#include <boost/test/unit_test.hpp>

#include <atomic>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "entact/storage/store.hpp"
#include "support/engine_fixture.hpp"

using namespace entact;
using entact::test::code;

namespace {

constexpr int accounts = 12;

struct partitioned_bank : entact::test::engine_fixture {
  partitioned_bank() {
    // A directory of its own: the base fixture made one of one partition.
    opts.path = dir.sub("partitioned");
    opts.partitions = 3;
    opts.sync = true;
    reopen();
    for (int i = 0; i < accounts; ++i)
      if (!db().create(id(i), "100"))
        throw std::runtime_error("setup failed");
  }

  static std::string id(int i) {
    return "acct/" + std::to_string(i);
  }

  caf::error transfer(int from, int to) {
    auto r = db().transact({id(from), id(to)}, [&](transaction& t) {
      auto a = t.get(id(from));
      auto b = t.get(id(to));
      if (!a || !b)
        return make_error(errc::invalid_argument, "no account");
      t.put(id(from), std::to_string(std::stoi(a->value) - 1));
      t.put(id(to), std::to_string(std::stoi(b->value) + 1));
      return caf::error{};
    });
    return r ? caf::error{} : std::move(r.error());
  }

  int total(bool through_actors) {
    int sum = 0;
    for (int i = 0; i < accounts; ++i) {
      auto r = through_actors ? db().get(id(i)) : db().read(id(i));
      sum += r ? std::stoi(r->value) : -1000000;
    }
    return sum;
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(txn_partitions, partitioned_bank)

BOOST_AUTO_TEST_CASE(transactions_across_partitions_are_atomic_and_durable) {
  // Most transfers span two of the three partitions.
  int spanning = 0;
  for (int i = 0; i < accounts; ++i)
    for (int j = 0; j < accounts; ++j)
      spanning += storage::store::partition_of(id(i), 3)
                  != storage::store::partition_of(id(j), 3);
  BOOST_TEST(spanning > accounts * accounts / 2);
  constexpr int threads = 4;
  constexpr int per_thread = 60;
  std::atomic<int> failed{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      std::mt19937 rng(static_cast<unsigned>(t + 1));
      for (int n = 0; n < per_thread; ++n) {
        int from = static_cast<int>(rng() % accounts);
        int to = (from + 1 + static_cast<int>(rng() % (accounts - 1)))
                 % accounts;
        if (auto err = transfer(from, to)) {
          BOOST_TEST_MESSAGE("transfer failed: " << to_string(err));
          ++failed;
        }
      }
    });
  for (auto& th : pool)
    th.join();
  BOOST_TEST(failed.load() == 0); // transact retries what wait-die aborts
  BOOST_TEST(total(false) == 100 * accounts);
  BOOST_TEST(total(true) == 100 * accounts);
  uint64_t versions = 0;
  for (int i = 0; i < accounts; ++i)
    versions += db().read(id(i))->version - 1;
  BOOST_TEST(versions == uint64_t(2 * threads * per_thread));
  auto stats = db().stats();
  BOOST_REQUIRE(stats);
  BOOST_TEST(stats->partitions == 3u);
  BOOST_TEST(stats->spanning_batches > 0u);
  BOOST_TEST(stats->spanning_batches <= uint64_t(threads * per_thread));
  reopen();
  BOOST_TEST(total(false) == 100 * accounts);
  BOOST_TEST(total(true) == 100 * accounts);
}

BOOST_AUTO_TEST_CASE(the_partition_count_is_fixed_at_creation) {
  eng.reset();
  auto other = opts;
  other.partitions = 2;
  auto refused = engine::open(other);
  BOOST_REQUIRE(!refused);
  BOOST_TEST(code(refused) == errc::invalid_argument);
  other.partitions = 0; // what the directory holds
  auto adopted = engine::open(other);
  BOOST_REQUIRE(adopted);
  BOOST_TEST((*adopted)->read(id(0))->value == "100");
}

BOOST_AUTO_TEST_SUITE_END()
