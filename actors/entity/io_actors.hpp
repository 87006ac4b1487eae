#pragma once

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

} // namespace entact::detail
