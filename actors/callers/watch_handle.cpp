#include "entact/watch.hpp"

#include <utility>

namespace entact {

watch_handle::watch_handle(std::function<void()> stop)
  : stop_(std::move(stop)) {
  // nop
}

watch_handle::watch_handle(watch_handle&& other) noexcept
  : stop_(std::move(other.stop_)) {
  other.stop_ = nullptr;
}

watch_handle& watch_handle::operator=(watch_handle&& other) noexcept {
  if (this != &other) {
    cancel();
    stop_ = std::move(other.stop_);
    other.stop_ = nullptr;
  }
  return *this;
}

watch_handle::~watch_handle() {
  cancel();
}

void watch_handle::cancel() {
  auto stop = std::move(stop_);
  stop_ = nullptr;
  if (stop)
    stop();
}

} // namespace entact
