#pragma once

#include <memory>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>

#include "entact/interfaces.hpp"
#include "watch/watch_sink.hpp"

namespace entact::detail {

using watch_sink_ptr = std::shared_ptr<watch_sink>;

/// Spawns a client's watcher: the actor that asks `server` for watches and
/// receives their events (see `server_api`). It takes
/// `(watch_atom, id, after_version, watch_sink_ptr) -> watch id` (asking
/// the server within `timeout`) and `(unwatch_atom, watch id)`; it calls
/// each watch's sink with every event, in order, and acknowledges each
/// batch once the sink has handled it, so a slow callback makes its watch
/// lag at the server. When the server goes, every sink gets `unreachable`;
/// when the watcher is told to exit, `closed`.
caf::actor spawn_client_watches(caf::actor_system& sys, server_api server,
                                caf::timespan timeout);

} // namespace entact::detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(entact::detail::watch_sink_ptr)
