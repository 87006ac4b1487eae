#include "support/progress_line.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace example {

progress_line::progress_line(const char* label, const char* unit,
                             const std::atomic<uint64_t>& done,
                             uint64_t total,
                             std::function<std::string()> details)
  : label_(label), unit_(unit), done_(done), total_(total),
    details_(std::move(details)), tty_(::isatty(2) == 1),
    start_(std::chrono::steady_clock::now()), thread_([this] { run(); }) {
}

progress_line::~progress_line() {
  stop();
}

void progress_line::stop() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable())
    thread_.join();
}

void progress_line::run() {
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

} // namespace example
