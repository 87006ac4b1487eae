// A live progress line on stderr while a run goes.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace example {

/// Shows "`label` done/total `unit`, `details()`" on stderr, redrawn five
/// times a second on a terminal; in a log, one line per quarter of `total`
/// done. Runs its own thread until `stop` or the destructor.
class progress_line {
public:
  progress_line(const char* label, const char* unit,
                const std::atomic<uint64_t>& done, uint64_t total,
                std::function<std::string()> details);
  progress_line(const progress_line&) = delete;
  progress_line& operator=(const progress_line&) = delete;
  ~progress_line();

  /// Stops redrawing and clears the line from the terminal. Idempotent.
  void stop();

private:
  void run();

  const char* label_;
  const char* unit_;
  const std::atomic<uint64_t>& done_;
  uint64_t total_;
  std::function<std::string()> details_;
  bool tty_;
  std::chrono::steady_clock::time_point start_;
  std::mutex mtx_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_; // last: starts once everything above is ready
};

} // namespace example
