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
/// boundaries and are mapped to CLI exit codes.
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
  /// A transaction was aborted (by its owner, or to break a deadlock).
  aborted,
  /// The transaction id is unknown (never begun, already finished).
  unknown_transaction,
  /// The peer (server or client) is unreachable or went away.
  unreachable,
};

/// Returns the stable name of `x`, e.g. "conflict".
const char* to_string(errc x) noexcept;

/// Builds an error of entact's category.
caf::error make_error(errc x);

/// Builds an error of entact's category with a human-readable detail.
caf::error make_error(errc x, std::string detail);

/// Returns the entact code of `err`, or `errc::none` for a default
/// (non-)error; errors of other categories map to `errc::unreachable` when
/// they come from CAF's networking/actor-death, else `errc::storage_failure`.
errc code_of(const caf::error& err) noexcept;

/// Renders an error of entact's category for `add_error_category`.
std::string render_error(uint8_t code, caf::atom_value category,
                         const caf::message& context);

} // namespace entact
