#pragma once

// Rounds of recorded histories, checked and added up, for a test to judge.

#include <chrono>
#include <string>

#include "history/checker.hpp"
#include "history/workload.hpp"

namespace entact::test::history {

/// What the rounds of one configuration showed.
struct campaign {
  std::string name;
  int rounds = 0;
  /// Rounds in which some key was not linearizable ...
  int failed_rounds = 0;
  /// ... even in real time alone (not only with the session order).
  int real_time_rounds = 0;
  /// Rounds in which the checker ran out of its step budget on some key.
  int undecided_rounds = 0;
  int keys_checked = 0;
  int failed_keys = 0;
  size_t longest_history = 0;
  uint64_t most_steps = 0;
  /// Workers that stopped early (lost server, async call never answered).
  int stopped = 0;
  tally counts;
  /// Explanations of the first few failures of each kind.
  std::string reports;
  int real_time_reports = 0;
  int session_reports = 0;
  std::chrono::milliseconds recording{0};
  std::chrono::milliseconds checking{0};

  /// Checks every key of `r` and adds the round up.
  void add(const round_record& r, const check_options& opts = {});

  /// Counts, failures and times, in a few lines.
  std::string summary() const;
};

/// `n`, scaled down under the sanitizers (CI runs every test under
/// ASan/UBSan too), or as `ENTACT_HISTORY_ROUNDS` says (for a longer
/// hunt by hand).
int rounds_for(int n);

} // namespace entact::test::history
