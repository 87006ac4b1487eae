#include "systems/drivers.hpp"

#include <algorithm>
#include <thread>

namespace bench {

namespace {

/// The measurement window: its length and this process's CPU time in it.
struct window {
  double seconds;
  double cpu_seconds;
};

/// Sleeps through the warmup, then holds `measuring` up for the
/// measurement window, while the clients run.
window measure_window(run_timing timing, std::atomic<bool>& measuring) {
  std::this_thread::sleep_for(timing.warmup);
  auto t0 = clock::now();
  auto cpu0 = process_cpu_seconds();
  measuring = true;
  std::this_thread::sleep_for(timing.measure);
  measuring = false;
  return {seconds_since(t0), process_cpu_seconds() - cpu0};
}

run_result summarize(std::vector<slot>& slots, window w) {
  auto r = summarize(slots, w.seconds);
  r.cpu_seconds = w.cpu_seconds;
  return r;
}

} // namespace

run_result run_closed(size_t threads, run_timing timing,
                      const std::function<outcome(slot&)>& op) {
  std::vector<slot> slots(threads);
  for (size_t i = 0; i < threads; ++i)
    slots[i].rng.seed(0x9e3779b97f4a7c15ull * (i + 1));
  std::atomic<bool> stop{false};
  std::atomic<bool> measuring{false};
  std::vector<std::thread> workers;
  workers.reserve(threads);
  for (size_t i = 0; i < threads; ++i)
    workers.emplace_back([&, i] {
      auto& s = slots[i];
      while (!stop.load(std::memory_order_relaxed)) {
        auto t0 = clock::now();
        auto o = op(s);
        auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                    clock::now() - t0)
                    .count();
        s.record(o, static_cast<uint64_t>(ns),
                 measuring.load(std::memory_order_relaxed));
      }
    });
  auto win = measure_window(timing, measuring);
  stop = true;
  for (auto& w : workers)
    w.join();
  return summarize(slots, win);
}

chain_runner::chain_runner(size_t chains, issue_fn issue)
  : slots_(chains), issue_(std::move(issue)) {
  for (size_t i = 0; i < chains; ++i)
    slots_[i].rng.seed(0x51ed27bull * (i + 7));
}

run_result chain_runner::run(run_timing timing) {
  active_ = slots_.size();
  for (size_t i = 0; i < slots_.size(); ++i)
    start(i);
  auto win = measure_window(timing, measuring_);
  stop_ = true;
  std::unique_lock<std::mutex> guard{mtx_};
  cv_.wait(guard, [this] { return active_ == 0; });
  return summarize(slots_, win);
}

void chain_runner::start(size_t i) {
  auto t0 = clock::now();
  issue_(slots_[i], [this, i, t0](outcome o) {
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                clock::now() - t0)
                .count();
    slots_[i].record(o, static_cast<uint64_t>(ns), measuring_.load());
    if (stop_) {
      std::lock_guard<std::mutex> guard{mtx_};
      if (--active_ == 0)
        cv_.notify_all();
      return;
    }
    start(i);
  });
}

void parallel_for(size_t threads, size_t n,
                  const std::function<void(size_t)>& fn) {
  std::atomic<size_t> next{0};
  std::vector<std::thread> ts;
  for (size_t t = 0; t < threads; ++t)
    ts.emplace_back([&] {
      for (;;) {
        auto begin = next.fetch_add(256);
        if (begin >= n)
          return;
        for (auto i = begin; i < std::min(n, begin + 256); ++i)
          fn(i);
      }
    });
  for (auto& t : ts)
    t.join();
}

} // namespace bench
