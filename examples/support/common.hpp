// What the examples share that is not what they show: the command line
// around CAF's config parser, error text, a problem counter, a temporary
// directory and a live progress line. Header-only, so each example is still
// one program built from one .cpp file.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <caf/actor_system_config.hpp>
#include <caf/pec.hpp>

#include <entact/errc.hpp>
#include <entact/record.hpp>

namespace example {

/// Exit status for bad usage (BSD's EX_USAGE), as entactd and entact use.
constexpr int bad_usage = 64;

/// Prints `what` as bad usage of `prog` and returns `bad_usage`.
inline int usage_error(const char* prog, const std::string& what) {
  std::fprintf(stderr, "%s: %s (see --help)\n", prog, what.c_str());
  return bad_usage;
}

/// Parses the command line into `cfg` with CAF's config system
/// (`--users=16`, a flag as `--no-sync`, or an ini file given with
/// `--config-file=FILE`). Returns the status `main` must exit with now: 0
/// once `--help` printed the options, `bad_usage` for an unknown or
/// malformed option or a stray argument; nothing if the program goes on.
inline std::optional<int> parse_command_line(caf::actor_system_config& cfg,
                                             const char* prog, int argc,
                                             char** argv) {
  if (auto err = cfg.parse(argc, argv)) {
    auto what = to_string(err);
    if (err == caf::pec::missing_argument)
      what += "; an option takes its value after '=', as in --users=16";
    return usage_error(prog, what);
  }
  if (cfg.cli_helptext_printed)
    return 0;
  if (!cfg.remainder.empty())
    return usage_error(prog, "unexpected argument " + cfg.remainder.front());
  return std::nullopt;
}

/// Renders an error, in words for entact's own codes.
inline std::string describe(const caf::error& err) {
  if (err.category() == entact::error_category)
    return entact::render_error(err.code(), err.category(), err.context());
  return caf::to_string(err);
}

/// Counts what went wrong (a failed call, a stale write accepted, a wrong
/// value stored) from any thread, and shows the first few on stderr.
class problem_log {
public:
  void add(const std::string& what) {
    if (count_++ < 5) {
      std::lock_guard<std::mutex> guard{mtx_};
      std::fprintf(stderr, "\nPROBLEM: %s\n", what.c_str());
    }
  }
  void add(const std::string& call, const caf::error& err) {
    add(call + " failed: " + describe(err));
  }
  uint64_t count() const {
    return count_;
  }

private:
  std::atomic<uint64_t> count_{0};
  std::mutex mtx_;
};

/// A record's value as a number; nothing if it is deleted or not a number.
inline std::optional<int64_t> number_of(const entact::record& rec) {
  int64_t n = 0;
  auto& v = rec.value;
  auto last = v.data() + v.size();
  auto [end, ec] = std::from_chars(v.data(), last, n);
  if (!rec.exists() || ec != std::errc{} || end != last)
    return std::nullopt;
  return n;
}

/// A fresh directory under $TMPDIR, removed with everything in it by the
/// destructor; `path()` is empty if it could not be made.
class temp_dir {
public:
  explicit temp_dir(const std::string& tag) {
    auto pattern = std::filesystem::temp_directory_path()
                   / ("entact-" + tag + "-XXXXXX");
    std::string buf = pattern.string();
    if (::mkdtemp(buf.data()) != nullptr)
      path_ = buf;
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  ~temp_dir() {
    std::error_code ignored;
    if (!path_.empty())
      std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const {
    return path_;
  }

private:
  std::string path_;
};

/// Where an example keeps its database: `path` if given, else a fresh
/// temporary directory held (and later removed) by `tmp`. Empty if that
/// directory could not be made.
inline std::string data_dir(const std::string& path,
                            std::optional<temp_dir>& tmp, const char* tag) {
  return path.empty() ? tmp.emplace(tag).path() : path;
}

/// A live progress line on stderr while a run goes: "`label` done/total
/// `unit`, `details()`", redrawn five times a second on a terminal; in a
/// log, one line per quarter of `total` done.
class progress_line {
public:
  progress_line(const char* label, const char* unit,
                const std::atomic<uint64_t>& done, uint64_t total,
                std::function<std::string()> details)
    : label_(label), unit_(unit), done_(done), total_(total),
      details_(std::move(details)), tty_(::isatty(2) == 1),
      start_(std::chrono::steady_clock::now()), thread_([this] { run(); }) {
  }
  progress_line(const progress_line&) = delete;
  progress_line& operator=(const progress_line&) = delete;
  ~progress_line() {
    stop();
  }
  void stop() {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      stopping_ = true;
    }
    cv_.notify_one();
    if (thread_.joinable())
      thread_.join();
  }

private:
  void run() {
    using namespace std::chrono_literals;
    std::unique_lock<std::mutex> lock{mtx_};
    unsigned next_quarter = 1;
    int width = 0;
    while (!cv_.wait_for(lock, 200ms, [this] { return stopping_; })) {
      auto done = done_.load();
      std::chrono::duration<double> elapsed = std::chrono::steady_clock::now()
                                              - start_;
      auto line = std::to_string(done) + "/" + std::to_string(total_) + " "
                  + unit_ + ", " + details_();
      if (tty_) {
        int n = std::fprintf(stderr, "\r  %-11s %s, %.1f s ", label_,
                             line.c_str(), elapsed.count());
        width = std::max(width, n);
      } else if (next_quarter < 4 && done * 4 >= total_ * next_quarter) {
        std::fprintf(stderr, "  %s: %s after %.1f s\n", label_, line.c_str(),
                     elapsed.count());
        next_quarter = static_cast<unsigned>(done * 4 / total_) + 1;
      }
    }
    if (tty_ && width > 0)
      std::fprintf(stderr, "\r%*s\r", width, "");
  }

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
