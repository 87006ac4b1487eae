#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "entact/txn.hpp"

namespace entact::detail {

/// `errc::invalid_argument`: a `begin` may not retry attempt `id`.
caf::error retry_refused(txn_id id, const std::string& why);

/// Most successive retries that keep one age. Past them a retry begins
/// with a fresh age: no chain of retries (begin, abort, retry, ...) keeps
/// one client the oldest forever. `transact` makes 16 attempts by default.
constexpr uint32_t max_retries_keeping_age = 64;

/// What a retry may inherit from the attempt it names.
struct inherited_age {
  /// The attempt's age; 0 if it is not (or no longer) remembered.
  uint64_t age = 0;
  /// How many retries led to that attempt (0: it was a new transaction).
  uint32_t retries = 0;
};

/// The coordinator's memory of ended transactions, so that a retry may
/// keep the age of the attempt it names (see `txn_options`). Bounded: it
/// holds the last `capacity` attempts that ended, the earliest ended
/// forgotten first.
class retry_table {
public:
  explicit retry_table(size_t capacity = 0);

  /// Remembers that attempt `id` ended, committed or not; `from` is what
  /// it had inherited.
  void ended(txn_id id, uint64_t token, inherited_age from, bool committed);

  /// What a retry of attempt `id` showing `token` inherits; from then on
  /// the attempt cannot be retried again. Age 0 if the attempt is not (or
  /// no longer) remembered. `errc::invalid_argument`, and nothing changes,
  /// if it committed, was retried already, or `token` is not its token.
  caf::expected<inherited_age> take(txn_id id, uint64_t token);

  size_t size() const {
    return entries_.size();
  }

  size_t capacity() const {
    return capacity_;
  }

private:
  enum class state : uint8_t { retryable, committed, retried };

  struct entry {
    inherited_age from;
    uint64_t token;
    state now;
  };

  size_t capacity_;
  std::unordered_map<txn_id, entry> entries_;
  /// The ids of `entries_`, earliest ended first.
  std::deque<txn_id> order_;
};

} // namespace entact::detail
