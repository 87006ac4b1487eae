#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include <caf/actor_system.hpp>

#include "callers/call_gate.hpp"
#include "entact/engine.hpp"
#include "entact/register_types.hpp"
#include "entact/storage/store.hpp"
#include "entity/unpublished.hpp"
#include "internal.hpp"
#include "operations/operation_registry.hpp"
#include "twopc/held_ids.hpp"
#include "twopc/prepared_table.hpp"
#include "txn/txn_actor.hpp"
#include "watch/watch_hub.hpp"

namespace entact {

/// Declaration order is destruction order in reverse: the store outlives
/// every actor that uses it, and the config outlives the system.
struct engine::impl {
  engine_options opts;
  /// Told every commit by the store (shared: the store's callback and the
  /// watch handles hold it too).
  std::shared_ptr<detail::watch_hub> watches;
  std::unique_ptr<storage::store> store;
  detail::unpublished unpublished_batches;
  detail::operation_registry operations;
  std::unique_ptr<entact::config> cfg;
  std::unique_ptr<caf::actor_system> sys;
  detail::entity_context ctx;
  detail::router_actor router;
  detail::txn_context tctx;
  /// Two-phase commit (twopc/): the ids prepared transactions hold, and
  /// the table that keeps those transactions by name.
  detail::held_ids held;
  detail::twopc_context twopc;
  detail::prepared_table_actor prepared;
  coordinator_api coordinator;
  /// Serves other actors' (remote clients') watches.
  caf::actor watch_service;
  server_api door;
  detail::call_gate gate;
  /// Run once by `close`, before any actor stops (see `on_close`).
  std::mutex hooks_mtx;
  std::vector<std::function<void()>> close_hooks;
  bool hooks_ran = false;
};

} // namespace entact
