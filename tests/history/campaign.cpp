#include "history/campaign.hpp"

#include <algorithm>
#include <cstdlib>

namespace entact::test::history {

namespace {

/// Full explanations kept per campaign; the rest are only counted.
constexpr int real_time_reports_kept = 2;
constexpr int session_reports_kept = 1;

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr int sanitizer_divisor = 3;
#else
constexpr int sanitizer_divisor = 1;
#endif

} // namespace

void campaign::add(const round_record& r, const check_options& opts) {
  ++rounds;
  counts.add(r.counts);
  stopped += r.stopped;
  recording += r.elapsed;
  auto start = std::chrono::steady_clock::now();
  bool failed = false;
  bool real_time = false;
  bool undecided = false;
  for (auto& h : r.histories) {
    ++keys_checked;
    longest_history = std::max(longest_history, h.ops.size());
    auto res = check(h, opts);
    most_steps = std::max(most_steps, res.steps);
    if (res.v == verdict::undecided) {
      undecided = true;
      reports += "key " + h.key + ": " + to_string(res.v) + " after "
                 + std::to_string(res.steps) + " steps on "
                 + std::to_string(h.ops.size()) + " ops\n";
      continue;
    }
    if (res.v != verdict::not_linearizable)
      continue;
    ++failed_keys;
    failed = true;
    auto real_time_only = opts;
    real_time_only.session_order = false;
    bool in_real_time = !opts.session_order
                        || check(h, real_time_only).v
                             != verdict::linearizable;
    real_time = real_time || in_real_time;
    // Explain the first few of each kind: a real-time one is the worse.
    auto& kept = in_real_time ? real_time_reports : session_reports;
    if (kept < (in_real_time ? real_time_reports_kept : session_reports_kept)) {
      ++kept;
      reports += "round " + std::to_string(rounds) + ", "
                 + render(h.key, explain(h, opts));
    }
  }
  failed_rounds += failed ? 1 : 0;
  real_time_rounds += real_time ? 1 : 0;
  undecided_rounds += undecided ? 1 : 0;
  checking += std::chrono::duration_cast<std::chrono::milliseconds>(
    std::chrono::steady_clock::now() - start);
}

std::string campaign::summary() const {
  std::string s = name + ": " + std::to_string(rounds) + " rounds, "
                  + std::to_string(keys_checked) + " keys, longest history "
                  + std::to_string(longest_history) + " ops, at most "
                  + std::to_string(most_steps) + " search steps; not "
                  "linearizable in "
                  + std::to_string(failed_rounds) + " rounds ("
                  + std::to_string(real_time_rounds) + " in real time, "
                  + std::to_string(failed_rounds - real_time_rounds)
                  + " only with the session order), "
                  + std::to_string(failed_keys) + " keys; undecided in "
                  + std::to_string(undecided_rounds) + " rounds; "
                  + std::to_string(stopped) + " workers stopped early; "
                  "recording " + std::to_string(recording.count())
                  + " ms, checking " + std::to_string(checking.count())
                  + " ms\ncalls: " + counts.to_string();
  return s;
}

int rounds_for(int n) {
  if (auto* env = std::getenv("ENTACT_HISTORY_ROUNDS"))
    if (auto x = std::atoi(env); x > 0)
      return x;
  return std::max(1, n / sanitizer_divisor);
}

} // namespace entact::test::history
