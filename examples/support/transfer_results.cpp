#include "support/transfer_results.hpp"

#include <cstdio>
#include <vector>

#include "support/statistics.hpp"

namespace example {

transfer_results::transfer_results()
  : table_{{{"mode", -12}, {"committed", 9}, {"no funds", 8, 2},
            {"retries", 9}, {"lock t/o", 8}, {"abandoned", 9}, {"other", 6},
            {"expiries", 8, 2}, {"conflicts", 9}, {"p50", 7}, {"p99", 7},
            {"transfers/s", 11}, {"snapshots", 9}},
           {{"", -12}, {"", 9}, {"aborted, by reason:", -50, 2},
            {"lease", 8}, {"", 9}, {"latency", 7}, {"ms", 7}, {"", 11},
            {"", 9}}} {
}

void transfer_results::add(const std::string& mode, const transfer_tally& t,
                           double seconds, uint64_t snapshots) {
  std::vector<double> latency_ms;
  for (auto& mine : t.latency_ms)
    latency_ms.insert(latency_ms.end(), mine.begin(), mine.end());
  auto committed = t.committed.load();
  auto per_second = seconds > 0 ? static_cast<double>(committed) / seconds
                                : 0;
  table_.add({mode, committed, t.insufficient.load(), t.exhausted.load(),
              t.lock_timeout.load(), t.abandoned + t.lease_expired,
              t.other.load(), t.expiries.load(),
              mode == "optimistic" ? std::to_string(t.conflicts) : "-",
              cell::fixed(percentile(latency_ms, 0.50), 2),
              cell::fixed(percentile(latency_ms, 0.99), 2),
              cell::fixed(per_second, 0), snapshots});
}

void transfer_results::print() const {
  table_.print();
  std::printf(
    "(no funds: the source could not pay; retries: wait-die aborts "
    "(pessimistic) or conflicts\n (optimistic) on every attempt; lock t/o: "
    "lock_timeout; abandoned: users who walked away\n mid-transfer (plus "
    "any transfer whose own lease ran out); lease expiries: abandoned\n "
    "transactions whose locks the lease freed and whose late commit was "
    "refused;\n conflicts: optimistic attempts refused as stale; latency: "
    "committed transfers, retries included;\n snapshots: consistent totals "
    "checked by the checker, all equal to the initial total)\n");
}

} // namespace example
