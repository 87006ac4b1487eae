#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "entact/watch_event.hpp"

namespace entact::http {

/// The bounded buffer between a watch's callback (an engine thread) and
/// the HTTP thread that writes its stream. The callback never waits: past
/// `max_events` events or `max_bytes` value bytes the buffer drops what it
/// holds for one `lagged` event with the newest record, so a peer that
/// reads slowly costs at most that much (or one record), never a backlog.
class watch_handoff {
public:
  /// What the stream takes at once: the events in version order, then the
  /// error that ended the watch (its last item), or `stopped`.
  struct batch {
    std::vector<watch_event> events;
    std::optional<caf::error> error;
    bool stopped = false;
  };

  /// `on_lagged` is called (without the lock) each time the buffer drops.
  watch_handoff(size_t max_events, size_t max_bytes,
                std::function<void()> on_lagged);

  /// The watch callback: buffers an event or the watch's final error.
  void push(caf::expected<watch_event> x);

  /// Wakes the stream for good: the listener stops.
  void stop();

  /// Waits until there is something to send, `stop`, or `until`; returns
  /// it all (an empty batch: `until` passed).
  batch take(std::chrono::steady_clock::time_point until);

private:
  /// Called with the lock held: makes room for `ev`; true if it dropped.
  bool drop_if_full(watch_event& ev);

  const size_t max_events_;
  const size_t max_bytes_;
  std::function<void()> on_lagged_;
  std::mutex mtx_;
  std::condition_variable cv_;
  std::deque<watch_event> events_;
  size_t bytes_ = 0;
  std::optional<caf::error> error_;
  bool stopped_ = false;
};

} // namespace entact::http
