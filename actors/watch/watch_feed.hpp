#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <vector>

#include <caf/error.hpp>

#include "entact/record.hpp"
#include "entact/watch_event.hpp"

namespace entact::detail {

/// How much one watch may hold for a watcher that is behind.
struct feed_bounds {
  /// Most events queued; one more and they are replaced by one `lagged`.
  size_t max_events = 1024;
  /// Most value bytes queued, likewise.
  size_t max_bytes = 8 * 1024 * 1024;
};

/// The bounded queue between the store's committer thread, which pushes
/// every committed record of the watched id, and the one consumer that
/// delivers them. Never more than `feed_bounds` is held: a push that would
/// exceed it drops what is queued and keeps only a `lagged` event with the
/// newest record, so a slow watcher costs memory within the bound and
/// never slows a writer. Versions handed out only ever increase.
///
/// Thread-safe. The consumer's `wake` is called (outside the lock) when
/// something new is waiting and the consumer has taken everything before:
/// at most once between two `take`s.
class watch_feed {
public:
  /// What `take` hands out.
  struct batch {
    std::vector<watch_event> events;
    /// True once the feed ended: nothing follows `events`. `why` is empty
    /// if it was cancelled, else the error to report last.
    bool ended = false;
    caf::error why;
  };

  watch_feed(entity_id id, version_t after, feed_bounds bounds);

  const entity_id& id() const noexcept {
    return id_;
  }

  /// Sets who is woken. Call before `start`.
  void set_wake(std::function<void()> wake);

  /// Queues a committed record of `id()` (committer thread).
  void push(const record& r);

  /// Begins delivery with `current`, the record read after the feed was
  /// registered. It is delivered first only if it precedes everything
  /// queued (and is newer than `after`), as `lagged` if it skips versions;
  /// commits queued since registration are all delivered, the first one
  /// `lagged` if versions between `after` and it are unknown.
  void start(const record& current);

  /// Ends the feed: `take` hands out what is queued, then the end.
  /// The first call wins. Wakes the consumer.
  void end(caf::error why);

  /// Takes up to `max` events (in order), and of more than one at most
  /// `max_bytes` of values, and whether the feed ended after them. Takes
  /// nothing before `start`, except the end.
  batch take(size_t max = static_cast<size_t>(-1),
             size_t max_bytes = static_cast<size_t>(-1));

private:
  /// Appends under the lock; true if the consumer should be woken.
  bool append_locked(watch_event ev);

  /// True if the consumer needs waking now (lock held); marks it woken.
  bool should_wake_locked();

  std::mutex mtx_;
  const entity_id id_;
  const feed_bounds bounds_;
  const version_t after_;
  /// Newest version queued or handed out: only newer ones are queued.
  version_t newest_;
  std::deque<watch_event> queue_;
  size_t queued_bytes_ = 0;
  bool started_ = false;
  bool woken_ = false;
  bool ended_ = false;
  caf::error why_;
  std::function<void()> wake_;
};

} // namespace entact::detail
