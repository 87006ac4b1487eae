#pragma once

#include <functional>
#include <map>
#include <string>

#include <caf/expected.hpp>

#include "entact/record.hpp"

namespace entact {

/// A named read-modify-write, run by `database::modify` inside the entity's
/// actor: it gets the entity's committed record (`version == no_version`
/// if it never existed, `deleted` for a tombstone; never a value that may
/// still fail to commit) and the caller's argument, and returns the new
/// value, or an error that fails only this modification (nothing written).
/// An error of entact's category reaches the caller as it is (e.g.
/// `invalid_argument`, or a `conflict` built with `make_conflict_error`);
/// any other becomes `invalid_argument` with its text. An operation cannot
/// delete: `erase` does that.
///
/// It runs on one of the engine's scheduler threads while the entity waits:
/// it must be fast, must not block, must not throw, and must not call the
/// engine. It may run more than once for one modification (when a write
/// from outside the entity, e.g. an `apply_batch`, changed the record
/// first), so it must depend only on its inputs.
using operation_fn = std::function<caf::expected<std::string>(
  const record& current, const std::string& arg)>;

/// Operations by name. Names: see `validate_operation_name`.
using operation_map = std::map<std::string, operation_fn>;

} // namespace entact
