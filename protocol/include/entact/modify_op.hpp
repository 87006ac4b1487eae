#pragma once

#include <string>

#include <caf/error.hpp>
#include <caf/meta/type_name.hpp>

#include "entact/entity_id.hpp"
#include "entact/limits.hpp"

namespace entact {

/// A read-modify-write of one entity by a named, registered operation:
/// the entity's actor runs the operation `name` on its committed record
/// with `arg` and writes the result (see `database::modify`). Built in:
/// `add` (decimal signed 64-bit integer), `append` (bytes) and
/// `set_if_version` (`VERSION:VALUE`); an embedding service registers its
/// own through `engine_options::operations`.
struct modify_op {
  entity_id id;
  /// The registered operation's name (see `validate_operation_name`).
  std::string name;
  /// The operation's argument, at most `limits::max_value_bytes` bytes.
  std::string arg;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, modify_op& x) {
  return f(caf::meta::type_name("entact::modify_op"), x.id, x.name, x.arg);
}

/// Longest operation name, in bytes.
constexpr size_t max_operation_name_bytes = 64;

/// Returns an empty error if `name` may name an operation: 1 to
/// `max_operation_name_bytes` bytes of lowercase ASCII letters, digits and
/// `_ - .`; else `errc::invalid_argument`.
caf::error validate_operation_name(const std::string& name);

/// Returns an empty error if `op` is well-formed under `lim`: a valid id, a
/// valid name, an argument within `max_value_bytes` (else `too_large`).
/// Whether the name is registered is the engine's to check.
caf::error validate(const modify_op& op, const limits& lim);

} // namespace entact
