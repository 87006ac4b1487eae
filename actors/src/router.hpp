#pragma once

#include <chrono>
#include <functional>
#include <list>
#include <unordered_map>

#include "entity_actor.hpp"
#include "internal.hpp"

namespace entact::detail {

struct router_state {
  using clock = std::chrono::steady_clock;
  /// Sends one stashed request to the entity that will serve it.
  using stashed = std::function<void(entity_actor&)>;

  struct entry {
    entity_actor handle;
    std::list<entity_id>::iterator lru;
    clock::time_point last_use;
    /// A passivation handshake is under way: requests wait in `stash`
    /// so none reaches an actor that is about to stop, and none overtakes
    /// an earlier one.
    bool passivating = false;
    std::list<stashed> stash; // a list: empty ones allocate nothing
  };

  std::unordered_map<entity_id, entry> entities;
  /// Ids of live, non-passivating entities; front = most recently used.
  std::list<entity_id> lru;
  /// Entity actor ids, to tell which entity a down message is about.
  std::unordered_map<caf::actor_id, entity_id> by_actor;
  size_t passivating = 0;
  engine_stats stats;
  router_config cfg;
  const entity_context* ctx = nullptr;
  static inline const char* name = "entact.router";
};

/// Routes each request to the actor owning its id: activates entities on
/// demand, passivates those idle for `cfg.idle_timeout` and the least
/// recently used past `cfg.resident_cap`. Passivation is a handshake: the
/// entity stops only if it has no write in flight; meanwhile requests for it
/// are held and then replayed in order, to it or to its successor.
router_actor::behavior_type
router(router_actor::stateful_pointer<router_state> self, router_config cfg,
       const entity_context* ctx);

} // namespace entact::detail
