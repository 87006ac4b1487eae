#pragma once

#include <chrono>
#include <list>
#include <unordered_map>

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

struct entity_state {
  using clock = std::chrono::steady_clock;
  /// The newest committed record seen (`no_version` if none).
  record cache;
  uint64_t next_seq = 0;
  /// Writes handed to the store and not yet answered, by sequence number.
  std::unordered_map<uint64_t, caf::typed_response_promise<record>> pending;
  /// The transaction holding the lock (0: unlocked), its age and lease.
  txn_id holder = 0;
  uint64_t holder_age = 0;
  clock::time_point lease_end;
  /// Requests waiting for the lock to be free, in arrival order. A list,
  /// because it is empty for almost every entity and an empty std::list
  /// allocates nothing (an empty std::deque takes ~600 bytes).
  std::list<queued_request> queue;

  /// True while anything is in flight or waiting: not safe to passivate.
  bool busy() const noexcept {
    return holder != 0 || !pending.empty() || !queue.empty();
  }

  static inline const char* name = "entact.entity";
};

/// The behavior of the actor that owns entity `id`. It loads the committed
/// record once, answers reads from that cache, and hands every write to the
/// store, which re-checks the version against storage (the cache is never
/// the authority). Results come back in order and update the cache,
/// conflicts included (they carry the stored record).
///
/// A transaction may lock the entity (see entity_locking.hpp): writes that
/// arrive meanwhile wait in `queue` (within `write_wait`) and run after the
/// release, against the transaction's result.
entity_actor::behavior_type
entity(entity_actor::stateful_pointer<entity_state> self, entity_id id,
       const entity_context* ctx);

} // namespace entact::detail
