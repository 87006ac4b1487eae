#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "entact/record.hpp"
#include "entact/retry_policy.hpp"
#include "entact/txn.hpp"

namespace entact::test {

/// Options of a new transaction (the coordinator gives it its age).
inline txn_options txn_opts(std::chrono::milliseconds lock_wait,
                            std::chrono::milliseconds lease) {
  txn_options opts;
  opts.lock_wait = lock_wait;
  opts.lease = lease;
  return opts;
}

/// One attempt, no retry: the caller sees the first outcome.
inline retry_policy no_retry() {
  retry_policy p;
  p.max_attempts = 1;
  return p;
}

/// `prefix` + 0 .. `prefix` + (n - 1).
inline std::vector<entity_id> ids_of(const std::string& prefix, int n) {
  std::vector<entity_id> ids;
  for (int i = 0; i < n; ++i)
    ids.push_back(prefix + std::to_string(i));
  return ids;
}

} // namespace entact::test
