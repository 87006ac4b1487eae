// Memory of a long run of transactions: an ended transaction leaves
// nothing behind. Two things once did: CAF 0.17 keeps a monitor on the
// observed actor until that actor ends, so every transaction's monitor of
// its caller (a gateway, alive as long as the engine) held the dead
// transaction's memory, 1.4 KB each; and its lease timer held it until the
// lease would have run out.

#include <boost/test/unit_test.hpp>

#include <fstream>
#include <string>

#include <unistd.h>

#include "support/engine_fixture.hpp"

using namespace entact;
using namespace std::chrono_literals;

namespace {

/// Resident bytes of this process (/proc/self/statm's second field).
long resident_bytes() {
  std::ifstream statm{"/proc/self/statm"};
  long size = 0;
  long resident = 0;
  statm >> size >> resident;
  return resident * ::sysconf(_SC_PAGESIZE);
}

struct txn_memory_fixture : entact::test::engine_fixture {
  txn_memory_fixture() {
    for (auto id : {"a", "b"})
      if (!db().create(id, "0"))
        throw std::runtime_error("setup failed");
  }

  /// Runs `n` two-entity transactions that each write both entities, with
  /// the default lease (5 s: far longer than the run).
  void run(int n) {
    for (int i = 0; i < n; ++i) {
      auto r = db().transact({"a", "b"}, [i](transaction& t) -> caf::error {
        t.put("a", std::to_string(i));
        t.put("b", std::to_string(i));
        return {};
      });
      BOOST_REQUIRE_MESSAGE(r, "transaction " << i << " failed");
      ++committed;
    }
  }

  int committed = 0;
};

#if defined(__SANITIZE_ADDRESS__)
constexpr bool rss_is_meaningful = false; // ASan's quarantine holds frees
#else
constexpr bool rss_is_meaningful = true;
#endif

} // namespace

BOOST_FIXTURE_TEST_SUITE(txn_memory, txn_memory_fixture)

BOOST_AUTO_TEST_CASE(ended_transactions_leave_no_memory_behind) {
  const int warmup = rss_is_meaningful ? 5000 : 500;
  const int measured = rss_is_meaningful ? 30000 : 1000;
  run(warmup); // pools, the memtable's first blocks, CAF's caches
  auto before = resident_bytes();
  run(measured);
  auto grown = resident_bytes() - before;
  BOOST_TEST_MESSAGE("resident memory grew by "
                     << grown << " bytes over " << measured
                     << " transactions (" << grown / measured
                     << " per transaction; the memtable takes ~70)");
  BOOST_TEST(committed == warmup + measured);
  BOOST_TEST(db().read("a")->version == uint64_t(warmup + measured + 1));
  if (rss_is_meaningful) {
    // A leak of one transaction actor each is 1.4 KB per transaction
    // (42 MB here); what legitimately grows is the memtable's copy of
    // each version written.
    BOOST_TEST(grown < measured * 400L);
  }
}

BOOST_AUTO_TEST_SUITE_END()
