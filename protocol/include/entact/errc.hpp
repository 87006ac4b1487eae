#pragma once

#include <cstdint>
#include <string>

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/fwd.hpp>

namespace entact {

/// The category under which entact's codes travel inside a `caf::error`.
constexpr caf::atom_value error_category = caf::atom("entact");

/// Every error entact reports. Values are stable: they cross process
/// boundaries and are mapped to CLI exit codes; new codes are appended.
///
/// For a write, every code but three means "definitely not applied":
/// `timeout`, `in_doubt` and (for a call under way when the connection
/// dropped) `unreachable` leave the outcome unknown -- read before retrying.
enum class errc : uint8_t {
  /// Not an error.
  none = 0,
  /// The stored version differs from the expected one (or the entity exists
  /// for a create-if-absent). Definitely not applied; the context carries an
  /// `entact::conflict`. Retry, reload, overwrite or merge.
  conflict,
  /// The entity never existed or is deleted. Definitely not applied (for a
  /// write). The context carries the stored record, its tombstone or
  /// version 0 (`stored_of`, see not_found.hpp).
  not_found,
  /// Malformed input: bad id, bad option, unknown operation.
  invalid_argument,
  /// A value or request exceeds the configured size limits.
  too_large,
  /// A deadline passed before an answer arrived; the outcome may be unknown
  /// for writes (treat like `in_doubt`).
  timeout,
  /// Too many requests are queued for one entity; nothing was applied.
  overloaded,
  /// RocksDB refused the operation; nothing was applied.
  storage_failure,
  /// The storage reported an error while committing with sync on: the write
  /// may or may not be durable. Read before retrying.
  in_doubt,
  /// The entity's version is at its maximum and cannot be incremented.
  version_overflow,
  /// The engine is closed or closing.
  closed,
  /// A lock could not be acquired before its deadline.
  lock_timeout,
  /// A transaction's lease ran out and it was aborted.
  lease_expired,
  /// A transaction was aborted: by wait-die (a younger transaction met an
  /// older lock holder), because its owner aborted it or went away, or --
  /// from `database::transact` -- by its body returning this code.
  /// `transact` retries the other causes itself and reports
  /// `retries_exhausted` when it stops, so from `transact` `aborted` is
  /// only ever the body's own. Definitely not applied.
  aborted,
  /// The transaction id is unknown (never begun, already finished).
  unknown_transaction,
  /// The peer (server or client) is unreachable or went away.
  unreachable,
  /// `database::transact` gave up: every attempt its `retry_policy` allowed
  /// was aborted by wait-die or refused by a conflict with a write from
  /// outside. Definitely not applied; the context carries the last
  /// attempt's error (`cause_of`). Contention, not the body's decision:
  /// trying again later may succeed.
  retries_exhausted,
  /// A result that was declared and never assigned (`entact::unassigned`,
  /// see result.hpp): a bug in the caller's code, never an answer of entact.
  unassigned,
  /// A cluster node (or the cluster's coordination service) cannot serve
  /// the call now: the node has no live ZooKeeper session or cannot prove
  /// its lease, or the shard has no live owner. Definitely not applied;
  /// try again later (or elsewhere).
  unavailable,
  /// A cluster node was asked for an entity of a shard the map does not
  /// give it at the epoch it knows. Definitely not applied; the context
  /// names the shard and that epoch. Re-read the map and ask the owner.
  wrong_node,
  /// A cluster call (transaction, batch, `read_many`) named ids of more
  /// than one shard: not supported until cross-node transactions land.
  /// Definitely not applied.
  cross_shard,
};

/// Returns the stable name of `x`, e.g. "conflict".
const char* to_string(errc x) noexcept;

/// Builds an error of entact's category.
caf::error make_error(errc x);

/// Builds an error of entact's category with a human-readable detail.
caf::error make_error(errc x, std::string detail);

/// Builds `retries_exhausted` after `attempts` tries, the last of which
/// failed with `last`.
caf::error make_retries_exhausted_error(unsigned attempts, caf::error last);

/// The error `err` gave up on: for `retries_exhausted`, the last attempt's
/// error (`aborted` by wait-die, or a `conflict` with its payload); an empty
/// error for every other error.
caf::error cause_of(const caf::error& err);

/// Returns the entact code of `err`, or `errc::none` for a default
/// (non-)error; errors of other categories map to `errc::unreachable` when
/// they come from CAF's networking/actor-death, else `errc::storage_failure`.
errc code_of(const caf::error& err) noexcept;

/// Renders an error of entact's category for `add_error_category`.
std::string render_error(uint8_t code, caf::atom_value category,
                         const caf::message& context);

} // namespace entact
