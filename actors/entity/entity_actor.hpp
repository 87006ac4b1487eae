#pragma once

#include <chrono>
#include <list>
#include <memory>
#include <unordered_map>

#include <caf/actor_addr.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include "internal.hpp"

namespace entact::detail {

/// A request queued at an entity while it is locked (or while lock requests
/// wait ahead of it): a transaction's lock request or a plain write.
struct queued_request {
  bool is_lock = false;
  lock_request lock;
  write_op write;
  std::chrono::steady_clock::time_point deadline;
  caf::typed_response_promise<record> rp;
};

/// What an entity needs only while it is busy: writes in flight, a lock
/// held, requests queued. Allocated on demand and freed once idle, since
/// almost every resident entity is idle (W5: memory per resident entity).
struct entity_activity {
  using clock = std::chrono::steady_clock;
  uint64_t next_seq = 0;
  /// Writes handed to the store and not yet answered, by sequence number.
  std::unordered_map<uint64_t, caf::typed_response_promise<record>> pending;
  /// The transaction holding the lock (0: unlocked), its age and lease.
  txn_id holder = 0;
  uint64_t holder_age = 0;
  clock::time_point lease_end;
  /// Requests waiting for the lock to be free, in arrival order.
  std::list<queued_request> queue;

  /// True while anything is in flight or waiting: not safe to passivate.
  bool busy() const noexcept {
    return holder != 0 || !pending.empty() || !queue.empty();
  }
};

struct entity_state {
  using clock = entity_activity::clock;
  /// The newest committed record seen (`no_version` if none).
  record cache;
  /// Null while idle. Sequence numbers may restart when it is freed: by
  /// then every write handed to the store has been answered.
  std::unique_ptr<entity_activity> activity;

  /// The activity, allocated if needed.
  entity_activity& act() {
    if (!activity)
      activity = std::make_unique<entity_activity>();
    return *activity;
  }

  /// True while anything is in flight or waiting: not safe to passivate.
  bool busy() const noexcept {
    return activity && activity->busy();
  }

  /// Frees the activity if nothing is in flight or waiting.
  void settle() noexcept {
    if (activity && !activity->busy())
      activity.reset();
  }
};

/// The actor that owns one entity. It loads the committed record once,
/// answers reads from that cache, and hands every write to the store, which
/// re-checks the version against storage (the cache is never the
/// authority). Results come back in order and update the cache, conflicts
/// included (they carry the stored record).
///
/// A transaction may lock the entity (see entity_locking.hpp): writes that
/// arrive meanwhile wait in its activity's `queue` (within `write_wait`) and
/// run after the release, against the transaction's result.
///
/// Memory per resident entity matters (W5): all entity actors share one
/// behavior, whose handlers find their actor through a thread-local set by
/// `resume` (CAF runs one actor per thread at a time), and the router learns
/// of an entity stopping on its own from `on_exit` instead of monitoring it.
class entity_impl : public entity_actor::base {
public:
  using super = entity_actor::base;

  entity_impl(caf::actor_config& cfg, const entity_id& id,
              const entity_context* ctx, caf::actor_addr router);

  behavior_type make_behavior() override;

  resume_result resume(caf::execution_unit* eu, size_t max_throughput) override;

  void on_exit() override;

  const char* name() const override;

  entity_state state;
  const entity_context* const ctx;

private:
  /// Told (`gone_atom`) when this entity stops other than by passivation:
  /// its record could not be loaded, or a handler failed.
  caf::actor_addr router_;
};

} // namespace entact::detail
