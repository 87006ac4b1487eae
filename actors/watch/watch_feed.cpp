#include "watch/watch_feed.hpp"

#include <algorithm>
#include <utility>

namespace entact::detail {

watch_feed::watch_feed(entity_id id, version_t after, feed_bounds bounds)
  : id_(std::move(id)), bounds_(bounds), after_(after), newest_(after) {
  // nop
}

void watch_feed::set_wake(std::function<void()> wake) {
  std::lock_guard<std::mutex> guard{mtx_};
  wake_ = std::move(wake);
}

bool watch_feed::should_wake_locked() {
  if (!started_ && !ended_)
    return false;
  if (woken_ || !wake_)
    return false;
  woken_ = true;
  return true;
}

bool watch_feed::append_locked(watch_event ev) {
  auto bytes = ev.rec.value.size();
  if (!queue_.empty()
      && (queue_.size() + 1 > bounds_.max_events
          || queued_bytes_ + bytes > bounds_.max_bytes)) {
    // The watcher fell behind: keep only the newest record, marked so it
    // knows to resync.
    queue_.clear();
    queued_bytes_ = 0;
    ev.lagged = true;
  }
  newest_ = ev.rec.version;
  queued_bytes_ += bytes;
  queue_.push_back(std::move(ev));
  return should_wake_locked();
}

void watch_feed::push(const record& r) {
  std::function<void()> wake;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (ended_ || r.version <= newest_)
      return;
    if (append_locked(watch_event{r, false}))
      wake = wake_;
  }
  if (wake)
    wake();
}

void watch_feed::start(const record& current) {
  std::function<void()> wake;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (started_)
      return;
    started_ = true;
    // What the read shows is at least as new as every commit before the
    // feed was registered; what was queued since and is not newer than
    // the read is covered by it.
    while (!queue_.empty() && queue_.front().rec.version <= current.version) {
      queued_bytes_ -= queue_.front().rec.value.size();
      queue_.pop_front();
    }
    if (current.version > after_) {
      queue_.push_front(watch_event{current, current.version != after_ + 1});
      queued_bytes_ += current.value.size();
      newest_ = std::max(newest_, current.version);
    }
    if (!queue_.empty() && should_wake_locked())
      wake = wake_;
  }
  if (wake)
    wake();
}

void watch_feed::end(caf::error why) {
  std::function<void()> wake;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (ended_)
      return;
    ended_ = true;
    why_ = std::move(why);
    if (should_wake_locked())
      wake = wake_;
  }
  if (wake)
    wake();
}

watch_feed::batch watch_feed::take(size_t max, size_t max_bytes) {
  std::lock_guard<std::mutex> guard{mtx_};
  woken_ = false;
  batch out;
  size_t bytes = 0;
  if (started_)
    while (!queue_.empty() && out.events.size() < max) {
      auto size = queue_.front().rec.value.size();
      if (!out.events.empty() && bytes + size > max_bytes)
        break;
      bytes += size;
      queued_bytes_ -= size;
      out.events.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
  if (ended_ && (queue_.empty() || !started_)) {
    out.ended = true;
    out.why = why_;
  }
  return out;
}

} // namespace entact::detail
