#include "watch_handoff.hpp"

namespace entact::http {

watch_handoff::watch_handoff(size_t max_events, size_t max_bytes,
                             std::function<void()> on_lagged)
  : max_events_(max_events),
    max_bytes_(max_bytes),
    on_lagged_(std::move(on_lagged)) {
}

bool watch_handoff::drop_if_full(watch_event& ev) {
  auto size = ev.rec.value.size();
  if (events_.empty()
      || (events_.size() < max_events_ && bytes_ + size <= max_bytes_))
    return false;
  // The stream has not taken what is buffered: everything up to `ev` is
  // skipped, and `ev` says so -- a watcher resyncs from its record.
  events_.clear();
  bytes_ = 0;
  ev.lagged = true;
  return true;
}

void watch_handoff::push(caf::expected<watch_event> x) {
  auto dropped = false;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (error_)
      return;
    if (!x) {
      error_ = std::move(x.error());
    } else {
      dropped = drop_if_full(*x);
      bytes_ += x->rec.value.size();
      events_.push_back(std::move(*x));
    }
  }
  cv_.notify_one();
  if (dropped && on_lagged_)
    on_lagged_();
}

void watch_handoff::stop() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    stopped_ = true;
  }
  cv_.notify_one();
}

watch_handoff::batch
watch_handoff::take(std::chrono::steady_clock::time_point until) {
  std::unique_lock<std::mutex> lock{mtx_};
  // `error_` stays set (empty) once taken: later pushes are ignored.
  cv_.wait_until(lock, until, [this] {
    return stopped_ || (error_ && *error_) || !events_.empty();
  });
  batch out;
  out.stopped = stopped_;
  out.events.assign(std::make_move_iterator(events_.begin()),
                    std::make_move_iterator(events_.end()));
  events_.clear();
  bytes_ = 0;
  // The error is the watch's last call: hand it over once, after its
  // events.
  if (error_ && *error_) {
    out.error = std::move(*error_);
    *error_ = caf::error{};
  }
  return out;
}

} // namespace entact::http
