#pragma once

#include <caf/expected.hpp>

#include "entact/record.hpp"
#include "entact/write_op.hpp"

namespace entact {

/// The version rule, in one place (README.md, "Semantics", has it as a
/// table): applies `op` to `current` (the stored record of `op.id`;
/// `version == no_version` if it never existed) and returns the record to
/// store, or
/// - `errc::conflict` (with the payload) if the stored version differs from
///   `op.expected_version`, or a create finds the entity present;
/// - `errc::not_found` (carrying `current`, see `stored_of`) if an update
///   or erase names the current version of an entity that is deleted or
///   never existed;
/// - `errc::version_overflow` if `current.version == max_version`.
/// Pure: storage calls it inside the RocksDB transaction, which makes the
/// stored version, not any cache, the authority.
caf::expected<record> decide(const record& current, const write_op& op);

} // namespace entact
