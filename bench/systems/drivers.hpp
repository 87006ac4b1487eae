#pragma once

// How the benchmark offers load: client threads in a closed loop, chains of
// asynchronous calls, and a plain parallel loop for untimed setup. Every
// system under test is driven by the same few drivers, so their figures
// differ only in what the operation does.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <vector>

#include "harness/util.hpp"

namespace bench {

/// Timing of a closed-loop run: warm up, then measure for `measure`.
struct run_timing {
  std::chrono::duration<double> warmup{0.5};
  std::chrono::duration<double> measure{4.0};
};

/// Runs `op(slot&)` in a loop on `threads` threads: after the warmup, every
/// completed op is counted and its latency kept, until the window closes.
run_result run_closed(size_t threads, run_timing timing,
                      const std::function<outcome(slot&)>& op);

/// Many chains of asynchronous calls: each chain issues its next op from the
/// previous op's callback, so `chains` ops are always in flight.
class chain_runner {
public:
  using done_fn = std::function<void(outcome)>;
  using issue_fn = std::function<void(slot&, done_fn)>;

  /// `issue(slot, done)` starts one op and has `done` called with its
  /// outcome when it completes (on any thread).
  chain_runner(size_t chains, issue_fn issue);

  /// Starts every chain, measures after the warmup, then waits until each
  /// chain has seen its last op complete.
  run_result run(run_timing timing);

private:
  void start(size_t i);

  std::vector<slot> slots_;
  issue_fn issue_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> measuring_{false};
  std::mutex mtx_;
  std::condition_variable cv_;
  size_t active_ = 0;
};

/// Calls `fn(i)` for every i in [0, n) from `threads` threads.
void parallel_for(size_t threads, size_t n,
                  const std::function<void(size_t)>& fn);

} // namespace bench
