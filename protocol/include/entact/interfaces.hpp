#pragma once

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "entact/atoms.hpp"
#include "entact/engine_stats.hpp"
#include "entact/modify_op.hpp"
#include "entact/record.hpp"
#include "entact/scan.hpp"
#include "entact/twopc.hpp"
#include "entact/txn.hpp"
#include "entact/write_op.hpp"

namespace entact {

/// What every holder of entities answers: an entity actor for its own id,
/// the engine's router for any id. Errors travel as `caf::error` of
/// entact's category (see `errc`).
///
/// - `(get_atom, id) -> record`: the committed record; `errc::not_found` if
///   the entity is absent or deleted (its context: the tombstone or the
///   version-0 record, see `stored_of`), `errc::invalid_argument`/`too_large`
///   for a bad id.
/// - `(write_atom, op) -> record`: the new record once durable with the
///   configured sync; `errc::conflict` (payload in the context),
///   `not_found` (the stored record in the context), `invalid_argument`,
///   `too_large`, `version_overflow`, `overloaded`, `storage_failure` or
///   `in_doubt`.
/// - `(modify_atom, op) -> record`: runs the registered operation `op.name`
///   on the committed record inside the entity's actor and answers the new
///   record (its own version) once durable; `invalid_argument` (unknown
///   operation, bad name or id, or the operation refused: e.g. `add` on a
///   value that is not an integer), `conflict` (`set_if_version` at another
///   version), `too_large`, `version_overflow`, `overloaded`, `timeout`,
///   `storage_failure` or `in_doubt`. See `database::modify`.
using entity_api
  = caf::typed_actor<caf::replies_to<get_atom, entity_id>::with<record>,
                     caf::replies_to<write_atom, write_op>::with<record>,
                     caf::replies_to<modify_atom, modify_op>::with<record>>;

/// The engine's router: `entity_api` for any id, plus counters.
using router_api = entity_api::extend<
  caf::replies_to<stats_atom>::with<engine_stats>>;

/// The coordinator of pessimistic multi-entity transactions. The sender of
/// `begin` owns the transaction: if it dies, the transaction aborts.
///
/// - `(begin_atom, options) -> txn_handle`: the coordinator gives the
///   transaction its age (see `txn_options`: a retry keeps the age of the
///   attempt it names). `invalid_argument` for bad options or a
///   `retry_of` that may not be retried (nothing begun).
/// - `(begin_atom, options, ids) -> txn_begun`: `begin` and `lock` in one
///   round trip; a failure to lock is reported inside `txn_begun` (with the
///   handle, which a retry names to keep its age). Bad options are an
///   error.
/// - `(lock_atom, txn, ids) -> records`: locks `ids` (all requested at
///   once), waiting at most `lock_wait` for each, and returns their
///   committed records in the order of `ids` (`version == no_version` if
///   absent, `deleted` for a tombstone). Locks are exclusive; waits follow
///   wait-die on the transaction's age, so no deadlock is possible: a
///   younger transaction that meets an older holder is aborted
///   (`errc::aborted`). `errc::lock_timeout` when a wait runs out. Either
///   error aborts the whole transaction. `invalid_argument` for an empty
///   list, duplicates or a bad id; `too_large` past the entity limit.
/// - `(commit_atom, txn, writes) -> records`: writes (only to locked ids)
///   commit atomically in one RocksDB transaction that re-checks every
///   version read under the locks; then the locks are released. Returns the
///   new records in the order of `writes`. `errc::conflict` if storage was
///   changed behind the locks' back (nothing written).
/// - `(abort_atom, txn) -> bool`: releases everything; nothing written.
/// Any error from `lock` or `commit` ends the transaction (locks released,
/// nothing written); only `begin` starts another.
/// - `(write_atom, ops) -> records`: an optimistic multi-entity batch, no
///   transaction needed: every op's version is checked and all of them
///   commit atomically, or none (`conflict` for the first stale one). It
///   takes no locks: against a locked entity, whichever commits second
///   conflicts. At most `max_txn_entities` ops, distinct ids.
/// Every call on a finished, expired or unknown transaction:
/// `errc::unknown_transaction`.
///
/// Two-phase commit (README, "Two-phase commit: participant"):
/// - `(prepare_atom, txn, writes, txn_prepare) -> bool`: as `commit`, but
///   the writes are made durable as prepared transaction `txn_prepare.name`
///   instead of applied (`true`). From then on the transaction is
///   addressed by that name only: no lease, lock wait, owner death or
///   `abort` of `txn` ends it, only a decision; its written ids stay held
///   (other writes: `lock_timeout`; other transactions: `aborted` at once;
///   reads: `in_doubt`); ids it only read are released. A refusal ends the
///   transaction as a failed commit does: `conflict`, `lock_timeout` (an id
///   held by another prepared transaction), `invalid_argument` (no writes,
///   bad name or participants, the name already prepared with other
///   writes, or -- at the decision holder -- already decided), `too_large`,
///   `storage_failure`, `in_doubt` (the vote's sync failed: abort the
///   name).
/// - `(commit_prepared_atom, name, as_decision) -> records`: applies it,
///   publishes and releases like a commit, answers the new records;
///   `as_decision` also records the decision `commit` in the same write
///   (the decision holder's own commit). A name no longer prepared:
///   an empty list if this engine remembers committing it (a resent
///   commit), else `unknown_transaction`; `invalid_argument` if it was
///   aborted (or, with `as_decision`, an abort is recorded).
/// - `(abort_prepared_atom, name) -> bool`: discards it and releases its
///   ids (`true`, also for a name not prepared here); the decision holder
///   records `abort` first. `invalid_argument` if it was committed.
/// - `(decision_atom, name) -> twopc_outcome`, asked of the decision
///   holder: the recorded outcome; under presumed abort a name neither
///   decided nor prepared here gets `abort` recorded (a later prepare of it
///   here is refused), and one prepared here answers `undecided` until
///   `engine_options::twopc_decision_wait` has passed since it prepared,
///   then is aborted.
/// - `(forget_atom, name) -> bool`: deletes its decision record once every
///   participant applied it (`false`: there was none).
/// - `(prepared_atom) -> prepared_infos`: the prepared, undecided ones.
using coordinator_api = caf::typed_actor<
  caf::replies_to<begin_atom, txn_options>::with<txn_handle>,
  caf::replies_to<begin_atom, txn_options, std::vector<entity_id>>::with<
    txn_begun>,
  caf::replies_to<lock_atom, txn_id, std::vector<entity_id>>::with<
    std::vector<record>>,
  caf::replies_to<commit_atom, txn_id, std::vector<txn_write>>::with<
    std::vector<record>>,
  caf::replies_to<abort_atom, txn_id>::with<bool>,
  caf::replies_to<write_atom, std::vector<write_op>>::with<
    std::vector<record>>,
  caf::replies_to<prepare_atom, txn_id, std::vector<txn_write>,
                  txn_prepare>::with<bool>,
  caf::replies_to<commit_prepared_atom, std::string, bool>::with<
    std::vector<record>>,
  caf::replies_to<abort_prepared_atom, std::string>::with<bool>,
  caf::replies_to<decision_atom, std::string>::with<twopc_outcome>,
  caf::replies_to<forget_atom, std::string>::with<bool>,
  caf::replies_to<prepared_atom>::with<std::vector<prepared_info>>>;

/// What a server publishes: everything a remote client needs behind one
/// handle. Entity calls as `router_api`, transactions and batches as
/// `coordinator_api`, plus committed reads that skip the entities' queues:
/// `(read_atom, ids) -> records`, from one storage snapshot, in the order of
/// `ids` (absent: `version == no_version`; `too_large` past the server's
/// `limits::max_read_ids`, 4096 by default).
///
/// `(scan_atom, request) -> scan_page`: one page of a scan from one storage
/// snapshot (see `database::scan`), under the server's limits.
///
/// Watches (see `database::watch`): `(watch_atom, id, after_version) ->
/// watch id` makes the sender the watcher. The server then sends it
/// `(watch_atom, watch id, std::vector<watch_event>)`, one batch at a time:
/// the next only after the watcher's `(watch_ack_atom, watch id)` (a
/// watcher that does not ack lags, it is never buffered for). A watch that
/// ends from the server's side gets `(watch_atom, watch id, caf::error)`
/// last. `(unwatch_atom, watch id)` cancels. Acks and cancels from anyone
/// but the watcher are ignored; a watcher's watches end when it (its
/// connection) goes. Errors: `invalid_argument` (bad id), `too_large` (the
/// connection already has the server's bound of watches, or the engine
/// its `max_watches`), `closed`.
using server_api = router_api::extend_with<coordinator_api>::extend<
  caf::replies_to<read_atom, std::vector<entity_id>>::with<
    std::vector<record>>,
  caf::replies_to<scan_atom, scan_request>::with<scan_page>,
  caf::replies_to<watch_atom, entity_id, version_t>::with<uint64_t>,
  caf::reacts_to<watch_ack_atom, uint64_t>,
  caf::reacts_to<unwatch_atom, uint64_t>>;

} // namespace entact
