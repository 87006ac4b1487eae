#pragma once

#include <cstdint>
#include <string>

#include <caf/error.hpp>
#include <caf/meta/type_name.hpp>

#include "entact/limits.hpp"
#include "entact/record.hpp"

namespace entact {

/// What a write asks for. Only `write_unconditionally` can overwrite without
/// naming the version it was based on, and it says so in its name.
enum class op_kind : uint8_t {
  /// Replace the value if the stored version equals `expected_version`.
  update_if_version,
  /// Create the entity if it is absent or deleted (`If-None-Match: *`).
  create_if_absent,
  /// Delete (leave a tombstone) if the stored version equals
  /// `expected_version`.
  erase_if_version,
  /// Last-write-wins: replace whatever is stored. Opt-in only.
  write_unconditionally,
  /// Create the entity if it is absent or deleted at exactly
  /// `expected_version` (0: never existed): the versioned create, so a
  /// writer that saw the entity missing at one version cannot create it on
  /// top of a later tombstone. `modify` uses it for a missing entity.
  create_at_version,
};

const char* to_string(op_kind x) noexcept;

/// One write to one entity.
struct write_op {
  op_kind kind = op_kind::update_if_version;
  entity_id id;
  version_t expected_version = no_version;
  std::string value;

  static write_op update(entity_id id, version_t expected, std::string value);
  static write_op create(entity_id id, std::string value);
  static write_op erase(entity_id id, version_t expected);
  static write_op unconditional(entity_id id, std::string value);
  static write_op create_at(entity_id id, version_t expected,
                            std::string value);
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, write_op& x) {
  return f(caf::meta::type_name("entact::write_op"), x.kind, x.id,
           x.expected_version, x.value);
}

/// Returns an empty error if `op` is well-formed under `lim`: a valid id, a
/// value within the size limit, a known kind, no value on an erase and no
/// expected version on a create or an unconditional write.
caf::error validate(const write_op& op, const limits& lim);

} // namespace entact
