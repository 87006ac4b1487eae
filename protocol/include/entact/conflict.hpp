#pragma once

#include <optional>
#include <string>

#include <caf/error.hpp>
#include <caf/meta/type_name.hpp>

#include "entact/record.hpp"
#include "entact/write_op.hpp"

namespace entact {

/// Everything a caller needs to resolve a refused write: what it expected,
/// what is stored now, and what it tried to write. Travels as the context of
/// an `errc::conflict` error.
struct conflict {
  entity_id id;
  /// The version the write was based on (`no_version` for a create).
  version_t expected_version = no_version;
  /// The record stored when the write was refused: `stored.exists()` is
  /// false if the entity is deleted (`stored.deleted`) or never existed
  /// (`stored.version == no_version`).
  record stored;
  /// The kind of write that was refused.
  op_kind attempted_kind = op_kind::update_if_version;
  /// The value the write tried to store (empty for an erase).
  std::string attempted_value;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, conflict& x) {
  return f(caf::meta::type_name("entact::conflict"), x.id, x.expected_version,
           x.stored, x.attempted_kind, x.attempted_value);
}

/// Wraps `c` into an `errc::conflict` error.
caf::error make_conflict_error(conflict c);

/// Returns the conflict carried by `err`, if it is an `errc::conflict`.
std::optional<conflict> conflict_of(const caf::error& err);

/// True if `err` is an `errc::conflict`.
bool is_conflict(const caf::error& err) noexcept;

} // namespace entact
