#include "support/transfer_tally.hpp"

#include <entact/errc.hpp>

namespace example {

transfer_tally::transfer_tally(unsigned users, size_t accounts)
  : book(users, accounts), latency_ms(users) {
}

uint64_t transfer_tally::aborted() const {
  return insufficient + exhausted + lock_timeout + abandoned + lease_expired
         + other;
}

std::string transfer_tally::progress(uint64_t snapshots) const {
  return std::to_string(committed.load()) + " ok, "
         + std::to_string(aborted()) + " aborted, "
         + std::to_string(expiries.load()) + " expired, "
         + std::to_string(snapshots) + " snapshots";
}

void transfer_tally::acknowledge(unsigned u, const transfer& tr,
                                 std::chrono::steady_clock::time_point start) {
  std::chrono::duration<double, std::milli> took
    = std::chrono::steady_clock::now() - start;
  ++committed;
  book.transfer(u, tr.from, tr.to, tr.amount);
  latency_ms[u].push_back(took.count());
}

void transfer_tally::count_failure(unsigned u, const caf::error& err,
                                   const char* call, problem_log& problems) {
  switch (entact::code_of(err)) {
    case entact::errc::retries_exhausted: // transact's retries spent
    case entact::errc::aborted:
    case entact::errc::conflict:
      ++exhausted;
      break;
    case entact::errc::lock_timeout:
      ++lock_timeout;
      break;
    case entact::errc::lease_expired:
      ++lease_expired;
      break;
    case entact::errc::timeout:
    case entact::errc::in_doubt:
      book.outcome_unknown(u);
      [[fallthrough]];
    default:
      ++other;
      problems.add(call, err);
  }
}

} // namespace example
