#pragma once

// Small helpers shared by the benchmark: clocks, per-client counters and
// what they sum to, percentiles, RSS, temporary directories and a tiny JSON
// writer. How load is offered is in drivers.hpp.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <sys/resource.h>

namespace bench {

using clock = std::chrono::steady_clock;

inline double seconds_since(clock::time_point t0) {
  return std::chrono::duration<double>(clock::now() - t0).count();
}

/// CPU time (user + system) of this process so far, all threads: what a
/// run costs, whatever else the machine is doing.
inline double process_cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto secs = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return secs(u.ru_utime) + secs(u.ru_stime);
}

/// What one operation of a workload ended in.
enum class outcome { ok, conflict, gave_up, error };

/// Per-client counters. Each slot is touched by one client at a time (a
/// thread, or a chain of asynchronous callbacks), so no atomics are needed;
/// the totals are read after every client stopped.
struct alignas(64) slot {
  // Inside the measurement window.
  uint64_t ok = 0;
  uint64_t conflicts = 0;
  uint64_t gave_up = 0;
  uint64_t errors = 0;
  uint64_t attempts = 0; // for retrying clients (W4)
  std::vector<uint32_t> latency_ns;
  // Since the start (warmup included), for correctness checks.
  uint64_t ok_total = 0;
  std::mt19937_64 rng;
  std::string first_error;

  void record(outcome o, uint64_t ns, bool measuring) {
    if (o == outcome::ok)
      ++ok_total;
    if (!measuring)
      return;
    switch (o) {
      case outcome::ok: ++ok; break;
      case outcome::conflict: ++conflicts; break;
      case outcome::gave_up: ++gave_up; break;
      case outcome::error: ++errors; break;
    }
    latency_ns.push_back(static_cast<uint32_t>(
      std::min<uint64_t>(ns, std::numeric_limits<uint32_t>::max())));
  }
};

/// Latency percentiles in microseconds.
struct percentiles {
  double p50 = 0, p99 = 0, p999 = 0, max = 0;
};

inline percentiles percentiles_of(std::vector<uint32_t> xs) {
  percentiles p;
  if (xs.empty())
    return p;
  auto at = [&](double q) {
    auto idx = static_cast<size_t>(q * static_cast<double>(xs.size() - 1));
    std::nth_element(xs.begin(), xs.begin() + idx, xs.end());
    return xs[idx] / 1000.0;
  };
  p.p50 = at(0.50);
  p.p99 = at(0.99);
  p.p999 = at(0.999);
  p.max = *std::max_element(xs.begin(), xs.end()) / 1000.0;
  return p;
}

/// The sum of a run: rates over the measurement window and latencies.
struct run_result {
  double seconds = 0;
  /// This process's CPU time in the measurement window (0: not measured).
  double cpu_seconds = 0;
  uint64_t ok = 0, conflicts = 0, gave_up = 0, errors = 0, attempts = 0;
  uint64_t ok_total = 0;
  percentiles lat;
  std::string first_error;

  double ops_per_s() const {
    return seconds > 0 ? static_cast<double>(ok) / seconds : 0;
  }

  /// CPU microseconds per successful operation, all of this process's
  /// threads (0: not measured).
  double cpu_us_per_op() const {
    return ok > 0 ? cpu_seconds * 1e6 / static_cast<double>(ok) : 0;
  }
};

inline run_result summarize(std::vector<slot>& slots, double seconds) {
  run_result r;
  r.seconds = seconds;
  std::vector<uint32_t> all;
  for (auto& s : slots) {
    r.ok += s.ok;
    r.conflicts += s.conflicts;
    r.gave_up += s.gave_up;
    r.errors += s.errors;
    r.attempts += s.attempts;
    r.ok_total += s.ok_total;
    if (r.first_error.empty())
      r.first_error = s.first_error;
    all.insert(all.end(), s.latency_ns.begin(), s.latency_ns.end());
  }
  r.lat = percentiles_of(std::move(all));
  return r;
}

/// Resident set size of this process in bytes (VmRSS).
uint64_t rss_bytes();

/// Releases free heap memory to the OS so RSS deltas are meaningful.
void trim_heap();

/// A fresh directory below `parent`, removed (recursively) on destruction.
class temp_dir {
public:
  explicit temp_dir(const std::string& parent, const std::string& tag);
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::string& path() const {
    return path_;
  }

private:
  std::string path_;
};

/// Minimal JSON writer: objects and arrays built as strings.
class json {
public:
  static std::string quote(const std::string& s);
  static std::string number(double x);

  json& field(const std::string& key, const std::string& raw_value);
  json& str(const std::string& key, const std::string& value) {
    return field(key, quote(value));
  }
  json& num(const std::string& key, double value) {
    return field(key, number(value));
  }
  json& boolean(const std::string& key, bool value) {
    return field(key, value ? "true" : "false");
  }
  std::string object() const {
    return "{" + body_ + "}";
  }
  static std::string array(const std::vector<std::string>& items);

private:
  std::string body_;
};

} // namespace bench
