// What went wrong that an example does not expect, and its verdict.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

#include <caf/error.hpp>

namespace example {

/// Renders an error, in words for entact's own codes.
std::string describe(const caf::error& err);

/// Counts what went wrong (a failed call, a stale write accepted, a wrong
/// value stored) from any thread, and shows the first few on stderr.
class problem_log {
public:
  void add(const std::string& what);
  void add(const std::string& call, const caf::error& err);

  uint64_t count() const {
    return count_;
  }

private:
  std::atomic<uint64_t> count_{0};
  std::mutex mtx_;
};

/// Prints the last lines of a run and returns its exit status: a line for
/// any `problems`, then `ok_text` if `ok` and no problems (exit status 0),
/// else "FAILED" (1); `suffix` follows either.
int verdict(bool ok, const problem_log& problems, const std::string& ok_text,
            const std::string& suffix = "");

} // namespace example
