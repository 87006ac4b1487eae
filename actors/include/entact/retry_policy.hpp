#pragma once

#include <chrono>

#include <caf/error.hpp>

namespace entact {

/// Bounded retries with exponential backoff and full jitter: attempt `n`
/// sleeps a random time in [0, min(max_backoff, initial_backoff * 2^n)].
struct retry_policy {
  /// Total attempts, the first included (at least 1).
  unsigned max_attempts = 16;
  std::chrono::microseconds initial_backoff{200};
  std::chrono::microseconds max_backoff{50000};
};

/// Counts what a retrying call did, for callers that report it.
struct retry_stats {
  unsigned attempts = 0;
  unsigned conflicts = 0;
};

/// True for the errors a transaction's retry may cure: a wait-die victim
/// (`aborted`) or a conflict with a write behind its locks (`conflict`).
/// Everything else is the caller's to handle.
bool worth_retrying(const caf::error& err);

/// Sleeps before retry number `attempt` (0 for the first retry).
void back_off(const retry_policy& policy, unsigned attempt);

} // namespace entact
