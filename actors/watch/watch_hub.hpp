#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include <caf/actor.hpp>
#include <caf/error.hpp>

#include "entact/record.hpp"
#include "watch/watch_feed.hpp"

namespace entact::detail {

/// Every watch of one engine, by entity id. The store tells it each
/// committed batch (`storage::store_options::on_commit`), whichever path
/// wrote it (entity actor, modification, batch, transaction), so a watch
/// sees every change and does not depend on its entity being resident.
/// Thread-safe.
class watch_hub {
public:
  explicit watch_hub(size_t max_watches);

  /// Registers `feed`, and holds `consumer` (if any) until the feed is
  /// removed or the hub closes: a CAF actor nobody holds stops. Errors:
  /// `too_large` (the engine already has `max_watches`), `closed`.
  caf::error add(std::shared_ptr<watch_feed> feed, caf::actor consumer = {});

  /// Unregisters `feed` (nothing if it is not registered).
  void remove(const std::shared_ptr<watch_feed>& feed);

  /// Queues the records of one committed batch at their watchers (the
  /// store's committer thread).
  void publish(const std::vector<record>& committed);

  /// Refuses new watches and ends every registered one with `why`. Their
  /// consumers stay held (to report the end) until `release`.
  void close(const caf::error& why);

  /// Drops the consumers `close` held: call once they have stopped, while
  /// their actor system still exists.
  void release();

  /// Watches registered now.
  size_t size() const noexcept {
    return count_.load();
  }

private:
  struct entry {
    std::shared_ptr<watch_feed> feed;
    caf::actor consumer;
  };
  using feeds = std::unordered_multimap<entity_id, entry>;

  mutable std::mutex mtx_;
  const size_t max_watches_;
  bool closed_ = false;
  feeds feeds_;
  feeds closed_feeds_;
  /// `feeds_.size()`, readable without the lock: a commit with nobody
  /// watching costs one load.
  std::atomic<size_t> count_{0};
};

} // namespace entact::detail
