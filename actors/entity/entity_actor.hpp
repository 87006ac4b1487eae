#pragma once

#include <chrono>
#include <list>
#include <map>
#include <memory>
#include <vector>

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
  /// A write's place in the order the entity accepted writes.
  uint64_t ticket = 0;
  std::chrono::steady_clock::time_point deadline;
  caf::typed_response_promise<record> rp;
  /// A modification (see entity_modify.hpp) instead of a plain write.
  bool is_modify = false;
  modify_op change{};
  /// Store writes of it refused so far because the record had changed
  /// behind the entity's back.
  unsigned attempts = 0;
};

/// A modification in the store, as part of its group's one write.
struct modification {
  uint64_t ticket = 0;
  modify_op change{};
  caf::typed_response_promise<record> rp;
  /// Set if its operation refused it: answered with the group's outcome.
  caf::error refused;
  unsigned attempts = 0;
  std::chrono::steady_clock::time_point deadline;
};

/// A `get` waiting for the writes accepted before it to finish.
struct parked_get {
  /// Writes with a smaller ticket must finish first.
  uint64_t barrier = 0;
  caf::typed_response_promise<record> rp;
};

/// What an entity needs only while it is busy: writes in flight, a lock
/// held, requests queued. Allocated on demand and freed once idle, since
/// almost every resident entity is idle (W5: memory per resident entity).
struct entity_activity {
  using clock = std::chrono::steady_clock;
  /// Ticket of the next write accepted: writes are numbered in the order
  /// the entity accepts them, queued or not.
  uint64_t next_ticket = 0;
  /// Writes handed to the store and not yet answered, by ticket.
  std::map<uint64_t, caf::typed_response_promise<record>> pending;
  /// The group of modifications in the store as one write, oldest first
  /// (see entity_modify.hpp). Never at the same time as `pending`: a group
  /// starts once the plain writes before it are answered, and plain writes
  /// queue while it is in the store.
  std::vector<modification> modifying;
  /// The transaction holding the lock (0: unlocked), its age and lease.
  txn_id holder = 0;
  uint64_t holder_age = 0;
  clock::time_point lease_end;
  /// Requests waiting for the lock to be free, in arrival order.
  std::list<queued_request> queue;
  /// Gets waiting for earlier writes, in arrival order (barriers ascend).
  std::vector<parked_get> gets;
  /// Storage reads under way, for gets and lock grants the cache cannot
  /// answer.
  size_t reads = 0;
  /// Transactions whose lock ran out of lease before they released it: one
  /// may still commit, so until its release arrives the cache is not
  /// trusted (and the entity is not passivated).
  std::vector<txn_id> unreleased;

  /// The smallest ticket of a write not yet answered, in the store or
  /// queued (`next_ticket` if none).
  uint64_t oldest_unfinished_write() const noexcept;

  /// True if the lock is a prepared transaction's (see `prepared_age`).
  bool held_prepared() const noexcept {
    return holder != 0 && holder_age == prepared_age;
  }

  /// True if a lock may be granted now: not held, no write in flight or
  /// waiting (the lock holder reads the committed record).
  bool lockable() const noexcept {
    return holder == 0 && pending.empty() && modifying.empty()
           && queue.empty();
  }

  /// True while anything is in flight or waiting: not safe to passivate.
  bool busy() const noexcept {
    return holder != 0 || !pending.empty() || !modifying.empty()
           || !queue.empty() || !gets.empty() || reads != 0
           || !unreleased.empty();
  }
};

struct entity_state {
  using clock = entity_activity::clock;
  /// The newest committed record seen (`no_version` if none).
  record cache;
  /// Null while idle. Tickets may restart when it is freed: by then every
  /// accepted write has been answered.
  std::unique_ptr<entity_activity> activity;
  /// When the earliest `expire_atom` armed is due (the epoch: none armed).
  /// Here rather than in the activity, which is freed between two locks:
  /// the timer outlives it.
  clock::time_point expire_due{};

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
/// Reads never go back in time (see entity_reads.hpp): a `get` waits for
/// the writes accepted before it, and is answered from storage whenever a
/// commit the cache has not learned yet may already be visible there.
///
/// A modification (`modify`, entity_modify.hpp) runs a registered
/// operation on the committed record; those that queue while the entity's
/// store write is in flight are written together as one.
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
