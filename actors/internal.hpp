#pragma once

// Messages and types private to the actor layer.

#include <atomic>
#include <chrono>
#include <cstdint>

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/timespan.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "entact/database.hpp"
#include "entact/interfaces.hpp"
#include "entact/limits.hpp"
#include "entact/txn.hpp"

namespace entact::storage {
class store;
} // namespace entact::storage

namespace entact::detail {

class unpublished;
class operation_registry;

/// Loads an entity's record from storage (reader pool).
using load_atom = caf::atom_constant<caf::atom("e_load")>;
/// Asks an entity to stop if it has nothing in flight.
using passivate_atom = caf::atom_constant<caf::atom("e_passiv")>;
/// Carries a commit outcome from the store's thread back to the entity.
using done_atom = caf::atom_constant<caf::atom("e_done")>;
/// The router's periodic idle check.
using sweep_atom = caf::atom_constant<caf::atom("e_sweep")>;
/// Releases a transaction's lock on an entity, publishing its new record.
using release_atom = caf::atom_constant<caf::atom("e_release")>;
/// Tells an entity that an optimistic batch that marked it (see
/// entity/unpublished.hpp) is decided, with the record it wrote (or a
/// version-0 record if it wrote none). Every mark gets exactly one.
using publish_atom = caf::atom_constant<caf::atom("e_publish")>;
/// An entity's timer: lock lease or queued request deadlines may be due.
using expire_atom = caf::atom_constant<caf::atom("e_expire")>;
/// Tells the router that an entity stopped other than by passivation.
using gone_atom = caf::atom_constant<caf::atom("e_gone")>;
/// A transaction's lease timer.
using lease_atom = caf::atom_constant<caf::atom("t_lease")>;
/// Tells the coordinator that a transaction ended, and whether it
/// committed (or may have).
using ended_atom = caf::atom_constant<caf::atom("t_ended")>;

/// The wait-die age of a prepared transaction's locks (twopc/): older than
/// every transaction the coordinator begins (their ages start at 1), so a
/// transaction meeting one dies at once instead of waiting, and the mark
/// by which an entity knows that its holder is prepared: its writes and
/// modifications are refused at once (`lock_timeout`), its gets answer
/// `in_doubt` (the decision may already be made elsewhere).
constexpr uint64_t prepared_age = 0;
/// The lease of a prepared transaction's locks: in effect none, since
/// only a decision may end it (a year, well inside the clock's range).
constexpr caf::timespan prepared_lease = std::chrono::hours{24 * 365};

/// A transaction asking an entity for its exclusive lock.
struct lock_request {
  txn_id txn = 0;
  /// Wait-die age: smaller is older; older waits, younger dies.
  uint64_t age = 0;
  /// Longest wait in the entity's queue.
  caf::timespan wait{0};
  /// Longest hold: past it the entity releases the lock by itself, so a
  /// lost coordinator cannot block it forever.
  caf::timespan lease{0};
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, lock_request& x) {
  return f(caf::meta::type_name("entact::detail::lock_request"), x.txn,
           x.age, x.wait, x.lease);
}

/// An entity actor: `entity_api` for its own id, plus the router's
/// passivation handshake and the store's commit outcomes.
using entity_actor = entity_api::extend<
  caf::replies_to<lock_atom, entity_id, lock_request>::with<record>,
  caf::reacts_to<release_atom, entity_id, txn_id, record>,
  caf::reacts_to<publish_atom, entity_id, record>,
  caf::replies_to<passivate_atom>::with<bool>,
  caf::reacts_to<done_atom, uint64_t, record>,
  caf::reacts_to<done_atom, uint64_t, std::vector<record>>,
  caf::reacts_to<done_atom, uint64_t, caf::error>,
  caf::reacts_to<expire_atom>>;

/// The router as the engine spawns it: the public API, the lock messages it
/// routes to entities, and its timer.
using router_actor = router_api::extend<
  caf::replies_to<lock_atom, entity_id, lock_request>::with<record>,
  caf::reacts_to<release_atom, entity_id, txn_id, record>,
  caf::reacts_to<publish_atom, entity_id, record>,
  caf::reacts_to<gone_atom, entity_id, caf::actor_id>,
  caf::reacts_to<sweep_atom>>;

/// What every entity actor of one engine shares. Outlives all actors.
struct entity_context {
  storage::store* store = nullptr;
  /// The operations `modify` may name; fixed before the engine serves.
  const operation_registry* operations = nullptr;
  /// Limits of ids and values: each modification's new value is checked.
  entact::limits limits;
  /// Modifications acknowledged as committed, and the store writes that
  /// carried them (`engine_stats`).
  mutable std::atomic<uint64_t> modifications{0};
  mutable std::atomic<uint64_t> modify_writes{0};
  /// Writes and modifications refused as `overloaded` at a full entity
  /// queue (`engine_stats::overloaded`).
  mutable std::atomic<uint64_t> queue_refusals{0};
  /// Ids whose optimistic batch may be visible in storage but not yet
  /// known to their entity (see entity/unpublished.hpp).
  unpublished* unpublished_batches = nullptr;
  /// Reads from storage: one record, several from one snapshot, or a page
  /// of a scan.
  using reader_api = caf::typed_actor<
    caf::replies_to<load_atom, entity_id>::with<record>,
    caf::replies_to<read_atom, std::vector<entity_id>>::with<
      std::vector<record>>,
    caf::replies_to<scan_atom, scan_request>::with<scan_page>>;
  /// Detached readers, so RocksDB reads never block scheduler threads.
  reader_api readers;
  size_t max_queue = 0;
  /// How long a write may wait behind a lock before it is answered with
  /// `timeout` (and not applied).
  caf::timespan write_wait{0};
};

/// What the router needs to know. Copied into the router.
struct router_config {
  size_t resident_cap = 0;
  std::chrono::milliseconds idle_timeout{0};
  entact::limits limits;
};

/// Converts errors from CAF itself (timeouts, dead actors) into entact's
/// category, so callers only ever see `errc` codes.
caf::error normalize(caf::error err);

} // namespace entact::detail
