#pragma once

#include <memory>

#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include "entact/watch.hpp"
#include "internal.hpp"
#include "watch/watch_feed.hpp"
#include "watch/watch_hub.hpp"

namespace entact::detail {

/// Wakes the actor that delivers a watch's events: its feed has some.
using wake_atom = caf::atom_constant<caf::atom("w_wake")>;

/// Starts a watch of `id` inside the engine: registers a feed at `hub`
/// (errors: `too_large`, `closed`), then reads the current record through
/// `readers` and calls `cb` with every event, in order, from an actor of
/// its own. The handle cancels it, and stays safe after the engine is gone.
caf::expected<watch_handle>
start_local_watch(caf::actor_system& sys, std::shared_ptr<watch_hub> hub,
                  entity_context::reader_api readers, const entity_id& id,
                  version_t after, feed_bounds bounds, watch_callback cb);

} // namespace entact::detail
