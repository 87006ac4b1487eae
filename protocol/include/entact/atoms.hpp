#pragma once

#include <caf/atom.hpp>

namespace entact {

/// Reads the committed record of an entity.
using get_atom = caf::atom_constant<caf::atom("e_get")>;

/// Applies a `write_op`.
using write_atom = caf::atom_constant<caf::atom("e_write")>;

/// Applies a `modify_op` (a registered read-modify-write).
using modify_atom = caf::atom_constant<caf::atom("e_modify")>;

/// Reads committed records straight from storage (one snapshot).
using read_atom = caf::atom_constant<caf::atom("e_read")>;

/// Reads one page of a scan (one snapshot): `scan_request` -> `scan_page`.
using scan_atom = caf::atom_constant<caf::atom("e_scan")>;

/// Asks for `engine_stats`.
using stats_atom = caf::atom_constant<caf::atom("e_stats")>;

/// Starts a pessimistic transaction.
using begin_atom = caf::atom_constant<caf::atom("t_begin")>;

/// Locks entities for a transaction.
using lock_atom = caf::atom_constant<caf::atom("t_lock")>;

/// Commits a transaction.
using commit_atom = caf::atom_constant<caf::atom("t_commit")>;

/// Aborts a transaction.
using abort_atom = caf::atom_constant<caf::atom("t_abort")>;

/// Two-phase commit (README, "Two-phase commit: participant"): prepares a
/// transaction's writes under its global name.
using prepare_atom = caf::atom_constant<caf::atom("t_prepare")>;

/// Commits a prepared transaction, by name.
using commit_prepared_atom = caf::atom_constant<caf::atom("t_commitp")>;

/// Aborts a prepared transaction, by name.
using abort_prepared_atom = caf::atom_constant<caf::atom("t_abortp")>;

/// Asks a decision holder for the outcome of a transaction name.
using decision_atom = caf::atom_constant<caf::atom("t_decision")>;

/// Deletes a decision record once every participant applied it.
using forget_atom = caf::atom_constant<caf::atom("t_forget")>;

/// Lists the transactions prepared and not yet decided.
using prepared_atom = caf::atom_constant<caf::atom("t_prepared")>;

/// Starts watching an entity; also carries a watch's events to its watcher.
using watch_atom = caf::atom_constant<caf::atom("w_watch")>;

/// A remote watcher has handled a watch's events: the server may send more.
using watch_ack_atom = caf::atom_constant<caf::atom("w_ack")>;

/// Cancels a watch.
using unwatch_atom = caf::atom_constant<caf::atom("w_cancel")>;

} // namespace entact
