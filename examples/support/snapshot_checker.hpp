// A thread that checks a total, from one consistent snapshot at a time.
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include <entact/database.hpp>

#include "support/problem_log.hpp"

namespace example {

/// Sums the balances of `ids` from one consistent snapshot (`read_many`),
/// over and over, in a thread of its own until stopped, with a breath of
/// 1 ms between snapshots. Counts the snapshots whose total is not
/// `expected_total`; each of those, and a balance that is not a number,
/// goes to `problems`.
class snapshot_checker {
public:
  snapshot_checker(entact::database& db,
                   const std::vector<entact::entity_id>& ids,
                   int64_t expected_total, problem_log& problems);
  snapshot_checker(const snapshot_checker&) = delete;
  snapshot_checker& operator=(const snapshot_checker&) = delete;
  ~snapshot_checker();

  /// Finishes the snapshot under way and stops. Idempotent.
  void stop();

  /// Snapshots checked so far.
  uint64_t snapshots() const {
    return snapshots_;
  }

  /// Snapshots whose total was wrong.
  uint64_t wrong() const {
    return wrong_;
  }

private:
  void run();

  entact::database& db_;
  const std::vector<entact::entity_id>& ids_;
  const int64_t expected_;
  problem_log& problems_;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> snapshots_{0};
  std::atomic<uint64_t> wrong_{0};
  std::thread thread_; // last: starts once everything above is ready
};

} // namespace example
