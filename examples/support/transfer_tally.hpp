// What one bank mode's users did, counted.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <caf/error.hpp>

#include "support/ledger.hpp"
#include "support/problem_log.hpp"
#include "support/transfers.hpp"

namespace example {

/// The outcomes of a bank mode's transfers, counted across the users'
/// threads and read live by the progress line; user `u` writes only its
/// own parts of `book` and `latency_ms`.
struct transfer_tally {
  transfer_tally(unsigned users, size_t accounts);

  std::atomic<uint64_t> done{0};         // transfers finished, any outcome
  std::atomic<uint64_t> committed{0};    // transfers acknowledged
  std::atomic<uint64_t> insufficient{0}; // refused: source cannot pay
  std::atomic<uint64_t> exhausted{0};    // wait-die/conflict retries spent
  std::atomic<uint64_t> lock_timeout{0}; // a lock wait ran out
  std::atomic<uint64_t> abandoned{0};    // the user walked away
  std::atomic<uint64_t> lease_expired{0}; // a transfer outlived its lease
  std::atomic<uint64_t> other{0};        // anything else (a problem)
  std::atomic<uint64_t> expiries{0};     // abandoned locks freed by the lease
  std::atomic<uint64_t> conflicts{0};    // optimistic attempts refused stale
  ledger book;                           // the transfers acknowledged
  std::vector<std::vector<double>> latency_ms; // each user's, committed

  /// Transfers that did not happen, for any reason.
  uint64_t aborted() const;

  /// The counts for the progress line, with the checker's `snapshots`.
  std::string progress(uint64_t snapshots) const;

  /// User `u` was told that `tr`, begun at `start`, is done: counted, in
  /// the ledger, and its latency kept.
  void acknowledge(unsigned u, const transfer& tr,
                   std::chrono::steady_clock::time_point start);

  /// Sorts a failed `call` of user `u` into its column: `aborted` and
  /// `conflict` (retries spent), `lock_timeout`, `lease_expired`. Anything
  /// else goes to `problems`; after `timeout` or `in_doubt` the outcome is
  /// unknown, and the ledger no longer exact.
  void count_failure(unsigned u, const caf::error& err, const char* call,
                     problem_log& problems);
};

} // namespace example
