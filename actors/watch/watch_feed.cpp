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
    // The queue holds every commit since the feed was registered, and the
    // read was made after that, so it is at least as new as the last
    // commit before. It is needed only for what precedes the queue: with
    // the queue empty, it is the news; with a queue starting at version f,
    // it fills the gap when it is f - 1. A read that already shows queued
    // commits (it came late) must not replace them: they are delivered,
    // the first marked `lagged` if versions before it are unknown.
    auto first = queue_.empty() ? current.version + 1
                                : queue_.front().rec.version;
    if (current.version > after_ && current.version < first) {
      queue_.push_front(watch_event{current, current.version != after_ + 1});
      queued_bytes_ += current.value.size();
      newest_ = std::max(newest_, current.version);
    } else if (!queue_.empty() && first != after_ + 1) {
      queue_.front().lagged = true;
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
