#pragma once

#include <chrono>
#include <cstddef>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "internal.hpp"

namespace entact::detail {

using reader_api = entity_context::reader_api;

/// A pool of `n` detached actors answering `reader_api` from the store:
/// RocksDB reads block, so they get threads of their own.
reader_api spawn_readers(caf::actor_system& sys, storage::store* store,
                         size_t n);

/// An actor that turns `(write_atom, op, callback)` and
/// `(get_atom, id, callback)` into requests to `router` with a deadline and
/// calls `callback` with the outcome: the asynchronous API for callers that
/// are not actors.
caf::actor spawn_gateway(caf::actor_system& sys, router_api router,
                         caf::timespan timeout);

} // namespace entact::detail
