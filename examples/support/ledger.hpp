// What the users of a bank were told, and the final balances against it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include <entact/database.hpp>

#include "support/problem_log.hpp"

namespace example {

/// The transfers acknowledged to the users, as their effect on each
/// account. Each user writes only its own part, so users need no lock;
/// read it once they are done.
class ledger {
public:
  ledger(size_t users, size_t accounts);

  /// User `u` was told that `amount` moved from account `from` to `to`.
  void transfer(unsigned u, size_t from, size_t to, int64_t amount);

  /// User `u` does not know whether a transfer happened (`timeout`,
  /// `in_doubt`): the ledger can no longer be exact.
  void outcome_unknown(unsigned u);

  /// True unless some outcome is unknown.
  bool exact() const;

  /// The balance each account must have now, each having started with
  /// `initial`.
  std::vector<int64_t> expected(int64_t initial) const;

private:
  size_t accounts_;
  std::vector<std::vector<int64_t>> delta_;
  std::vector<char> unknown_; // per user; not vector<bool>: users race
};

/// The final balances, read from one snapshot and held against a ledger.
struct audit {
  bool complete = false;      // every balance read, and each a number
  int64_t total = 0;          // their sum
  int64_t expected_total = 0; // what they started with
  size_t differ = 0;          // balances not what the ledger says
  size_t overdrawn = 0;       // balances below 0
  bool exact = true;          // the ledger knows every outcome

  /// No money appeared or vanished: every balance read, the total as it
  /// started, no account below 0, and each as the ledger says (unless the
  /// ledger is not exact).
  bool ok() const {
    return complete && total == expected_total && overdrawn == 0
           && (differ == 0 || !exact);
  }
};

/// Reads the balances of `ids`, each of which started with `initial`, and
/// compares them with `book`; a failed read and a balance that is not a
/// number go to `problems`.
audit audit_balances(entact::database& db,
                     const std::vector<entact::entity_id>& ids,
                     const ledger& book, int64_t initial,
                     problem_log& problems);

} // namespace example
