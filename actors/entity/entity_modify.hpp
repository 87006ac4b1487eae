#pragma once

#include <vector>

#include "entity/entity_actor.hpp"

namespace entact::detail {

// Modifications: registered read-modify-writes run inside the entity's actor
// (`database::modify`), so concurrent ones never conflict.
//
// Rules, all enforced here and in `advance` (entity_locking.cpp):
// - A modification reads the committed record: its group starts only when
//   nothing of the entity is in the store (no plain write, no other group)
//   and no transaction holds the lock; it is computed on the cache, which
//   holds only committed records. Meanwhile modifications (and the plain
//   writes and lock requests after them) queue in arrival order.
// - Coalescing: the modifications at the front of the queue (at most
//   `max_modify_group`) are applied in order, each on the previous one's
//   result, and written as ONE store batch: one op per modification
//   (versions v+1 .. v+k, so every version is still one write and every
//   answer carries its own version and value), one entry of the store's
//   group commit, one RocksDB write of the last state. Each is answered
//   when that batch is durable.
// - A modification its operation refuses (or whose new value is too large,
//   or whose version would overflow) fails alone and writes nothing; it is
//   answered with its group's write (its error was decided on the state the
//   group's earlier modifications produced), or at once if nothing of the
//   group writes.
// - The store re-checks every version (the cache is never the authority):
//   if a write from outside the entity (an optimistic batch, a transaction
//   whose lease ran out) changed the record first, the batch is refused as
//   a whole; the entity learns the stored record from the refusal and
//   recomputes the group on it, at most `max_modify_attempts` times. Any
//   other store error fails every modification of the group (nothing
//   applied); later ones are computed on the real committed record.
// - Deadlines: a queued modification that waits past `write_wait` is
//   answered `timeout` and not applied. Its timer is armed only while a
//   lock is the reason it waits; behind the entity's own store write, the
//   store's answer, which always comes, checks the deadlines.

using entity_ptr = entity_impl*;

/// Most modifications written as one store batch.
constexpr size_t max_modify_group = 1024;

/// Store refusals (the record changed behind the entity's back) after
/// which a modification fails with that refusal.
constexpr unsigned max_modify_attempts = 8;

/// Handles a modification: computed and written now if nothing else is in
/// the store or waiting, else queued.
caf::result<record> on_modify(entity_ptr self, const entity_context* ctx,
                              modify_op op);

/// Writes the modifications at the front of the queue as one group; call
/// from `advance` when nothing is in the store and the lock is free.
void start_modify_group(entity_ptr self, const entity_context* ctx);

/// True if `ticket` names the group of modifications in the store.
bool is_modify_group(const entity_state& st, uint64_t ticket) noexcept;

/// Answers the group `ticket` with its committed records (one per
/// modification that wrote, in order).
void on_modified(entity_ptr self, const entity_context* ctx, uint64_t ticket,
                 std::vector<record>& recs);

/// Handles the store's refusal of the group `ticket` (see the rules above).
void on_modify_failed(entity_ptr self, const entity_context* ctx,
                      uint64_t ticket, caf::error err);

} // namespace entact::detail
