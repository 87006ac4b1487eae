#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <unordered_map>
#include <utility>
#include <vector>

#include "entity/entity_actor.hpp"
#include "internal.hpp"

namespace entact::detail {

struct router_state {
  using clock = std::chrono::steady_clock;
  /// Sends one stashed request to the entity that will serve it.
  using stashed = std::function<void(entity_actor&)>;
  struct entry;
  /// A node of `entities`: its address never changes while it is there.
  using node = std::pair<const entity_id, entry>;

  // Memory per resident entity matters (W5): one map node holds all of the
  // router's bookkeeping for an entity, and the id is stored only as its key.
  struct entry {
    entity_actor handle;
    /// Neighbours in the LRU list; both null while passivating.
    node* newer = nullptr;
    node* older = nullptr;
    /// Last use; `handshake` while a passivation handshake is under way.
    clock::time_point last_use;
    /// Requests held during a handshake, so none reaches an actor that is
    /// about to stop and none overtakes an earlier one. Allocated only then.
    std::unique_ptr<std::vector<stashed>> stash;

    static constexpr clock::time_point handshake = clock::time_point::min();

    bool passivating() const noexcept {
      return last_use == handshake;
    }
  };

  std::unordered_map<entity_id, entry> entities;
  /// Live, non-passivating entities as an intrusive list through their
  /// entries: front = most recently used.
  node* lru_front = nullptr;
  node* lru_back = nullptr;
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
