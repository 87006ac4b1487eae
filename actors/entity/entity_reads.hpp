#pragma once

#include "entity/entity_actor.hpp"

namespace entact::detail {

// What an entity's reads promise, and how it keeps that promise.
//
// - Linearizable: once any reader (`get`, `read`, `read_many`) has seen
//   version N of an entity, no later read sees less. Storage is the
//   authority; the cache may answer only while it holds the committed
//   record. It may lag while a commit it has not yet learned may already be
//   visible in storage: a transaction holds the lock (it commits directly to
//   the store, then releases), a lock ran out of lease before its release
//   came, or an optimistic batch on the id is unpublished. Then the entity
//   reads storage instead (through the detached readers) and learns what it
//   reads. The entity's own writes are not such a case: a get waits for
//   the earlier ones (next rule), and later ones cannot be visible before
//   the get arrived.
// - Read-your-writes: the entity takes its calls in arrival order, and a
//   `get` is answered only once every write it accepted before the get has
//   finished (committed or failed) -- queued behind a transaction's lock
//   included. So a caller's earlier writes, async ones included, are
//   visible to its `get`. (Hence a transaction's body must read its locked
//   entities through its transaction handle, not `get`: a write queued
//   behind its own lock would make that `get` wait for the lock.) `read`
//   and `read_many` go to storage and wait for nothing.
// - Lock grants follow the first rule, so a transaction reads the committed
//   record under its lock.

using entity_ptr = entity_impl*;

/// Handles a `get`: answers now, or parks it until the writes accepted
/// before it finish.
caf::result<record> on_get(entity_ptr self);

/// Answers the parked gets whose earlier writes have all finished; call
/// whenever a write was answered.
void answer_parked_gets(entity_ptr self);

/// Answers `rp` with the committed record: from the cache if it is current
/// (`for_lock`: the lock holder is the reader, its own lock is no reason to
/// distrust the cache), else from storage. `as_get` answers an absent or
/// deleted record with `not_found`.
void answer_committed(entity_ptr self, caf::typed_response_promise<record> rp,
                      bool for_lock, bool as_get);

} // namespace entact::detail
