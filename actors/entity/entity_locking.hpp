#pragma once

#include "entity/entity_actor.hpp"

namespace entact::detail {

// An entity's exclusive lock, held for one transaction at a time.
//
// Rules, all enforced here:
// - A lock is granted only when no write of the entity is in flight, so the
//   record it returns is the committed state.
// - Requests that find the entity locked queue in arrival order; when the
//   lock is released, queued writes run and the first queued lock request
//   is granted once the writes ahead of it have committed.
// - Wait-die on transaction age: a lock request younger than the holder is
//   refused at once (`errc::aborted`); an older one waits. Every wait edge
//   goes from older to younger, so no cycle (deadlock) can form.
// - Every queued request has a deadline (`lock_timeout` for locks,
//   `timeout` for writes, which are then not applied), and every lock a
//   lease after which the entity releases it by itself. Its transaction may
//   still commit then, so until its release arrives the entity reads
//   storage instead of trusting its cache (entity_reads.hpp).

using entity_ptr = entity_impl*;

/// Handles a transaction's lock request.
caf::result<record> on_lock(entity_ptr self, const entity_context* ctx,
                            const lock_request& req);

/// Handles a release: learns `published` if newer, frees the lock.
void on_release(entity_ptr self, const entity_context* ctx, txn_id txn,
                const record& published);

/// Handles the entity's timer: expired lease, expired queued requests;
/// then arms it for the next lease end or deadline.
void on_expire(entity_ptr self, const entity_context* ctx);

/// Makes sure the entity's timer fires by `when`. One timer covers every
/// later deadline, since `on_expire` arms the next one: a timer per lock
/// cost a message through CAF's clock thread for every lock and every
/// release (profile of W3: the clock thread took 7% of the CPU).
void expire_by(entity_ptr self, entity_state::clock::time_point when);

/// Handles a plain write: queued if locked, else handed to the store.
caf::result<record> on_write(entity_ptr self, const entity_context* ctx,
                             write_op op);

/// Runs whatever the queue allows now; called whenever the lock is freed
/// or the last write (or group of modifications) in flight has finished.
void advance(entity_ptr self, const entity_context* ctx);

/// Hands `op` (accepted as write `ticket`) to the store, answering `rp`
/// when it commits.
void submit(entity_ptr self, const entity_context* ctx, write_op op,
            uint64_t ticket, caf::typed_response_promise<record> rp);

/// Keeps the newest committed record seen.
void learn(entity_state& st, const record& r);

} // namespace entact::detail
