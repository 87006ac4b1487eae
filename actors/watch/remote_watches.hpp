#pragma once

#include <cstddef>
#include <memory>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "internal.hpp"
#include "watch/watch_feed.hpp"
#include "watch/watch_hub.hpp"

namespace entact::detail {

/// What the actor serving other actors' watches needs.
struct remote_watch_config {
  std::shared_ptr<watch_hub> hub;
  entity_context::reader_api readers;
  feed_bounds bounds;
  entact::limits limits;
  /// Most watches of one peer node (one connection) at once.
  size_t max_per_node = 1024;
  /// Most events, and value bytes, sent in one batch (one ack each).
  size_t batch_events = 64;
  size_t batch_bytes = 1024 * 1024;
};

/// Spawns the actor that serves `server_api`'s watch messages (the front
/// door delegates them): the sender of a watch request is its watcher; it
/// gets one batch of events at a time and the next after its ack, so a
/// watcher that is slow, or whose connection is, lags instead of growing
/// any buffer. The watcher is monitored: when it goes (its connection
/// drops) its watches end.
caf::actor spawn_remote_watches(caf::actor_system& sys,
                                remote_watch_config cfg);

} // namespace entact::detail
