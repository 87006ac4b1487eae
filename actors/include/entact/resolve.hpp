#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include <caf/expected.hpp>

#include "entact/conflict.hpp"
#include "entact/database.hpp"
#include "entact/retry_policy.hpp"

namespace entact {

/// Computes the value to write from the current record (which may be absent:
/// `version == no_version`, or deleted). Returning `std::nullopt` gives up
/// without writing (the helper then returns `errc::aborted`).
using modify_fn = std::function<std::optional<std::string>(const record&)>;

/// Optimistic read-modify-write of `id`: reads the committed record, calls
/// `modify`, writes at the version read (create if absent or deleted), and
/// on a conflict starts over from the stored record carried by the
/// conflict, with backoff. Returns the new record, or the last conflict
/// once `policy.max_attempts` are spent, or any other error at once.
caf::expected<record> read_modify_write(database& db, const entity_id& id,
                                        const modify_fn& modify,
                                        const retry_policy& policy = {},
                                        retry_stats* stats = nullptr);

/// "Database wins": forget the attempted write, reload the committed
/// record (`not_found` if it is deleted or gone).
caf::expected<record> resolve_database_wins(database& db, const conflict& c);

/// "Client wins": write the attempted value (or erase) again, explicitly at
/// the version now stored, so only the write the caller has seen is
/// overwritten. Recreates a deleted entity. May conflict again if yet
/// another write landed in between.
caf::expected<record> resolve_client_wins(database& db, const conflict& c);

/// Produces the merged value from the value the caller started from
/// (`original`), the value it tried to write (`attempted`) and the record
/// stored now (`stored`, possibly deleted).
using merge_fn = std::function<std::optional<std::string>(
  const std::string& original, const std::string& attempted,
  const record& stored)>;

/// "Merge": writes `merge(original, attempted, stored)` at the stored
/// version; on a further conflict merges again against the newer record,
/// with backoff, up to `policy.max_attempts`.
caf::expected<record> resolve_merge(database& db, const conflict& c,
                                    const std::string& original,
                                    const merge_fn& merge,
                                    const retry_policy& policy = {},
                                    retry_stats* stats = nullptr);

} // namespace entact
