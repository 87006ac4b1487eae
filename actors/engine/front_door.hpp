#pragma once

#include <functional>
#include <vector>

#include "entact/interfaces.hpp"
#include "internal.hpp"
#include "twopc/held_ids.hpp"

namespace entact::detail {

/// The one actor a server publishes: forwards entity calls to the router,
/// transactions and batches to the coordinator and committed reads to the
/// reader pool, watches to `watches` (see remote_watches.hpp). Forwarding uses `delegate`, so answers go straight back to
/// the client and the coordinator sees the client as a transaction's owner
/// (its death or disconnection aborts the transaction). `admit` (see
/// `engine_options::admit`), if set, may refuse a call first.
/// `add_counters` completes the router's counters for `stats` with the
/// engine's others (store, transactions), as `engine::stats` does.
server_api::behavior_type
front_door(server_api::pointer self, router_api router,
           coordinator_api coordinator, entity_context::reader_api readers,
           caf::actor watches,
           std::function<caf::error(const std::vector<entity_id>&)> admit,
           const held_ids* held,
           std::function<void(engine_stats&)> add_counters);

} // namespace entact::detail
