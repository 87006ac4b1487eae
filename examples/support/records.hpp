// Entities as an example names, reads and sets them up.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <entact/database.hpp>
#include <entact/record.hpp>

#include "support/problem_log.hpp"

namespace example {

/// `prefix` + 0 .. `prefix` + (n-1), as in "acct/0".."acct/999".
std::vector<entact::entity_id> ids_of(const std::string& prefix, unsigned n);

/// A record's value as a number; nothing if it is deleted or not a number.
std::optional<int64_t> number_of(const entact::record& rec);

/// Sets every id to `value` whatever it holds now (a kept database or a
/// running server holds them from an earlier run, at later versions): one
/// protected `read_modify_write` each. A failure ("reset ID") goes to
/// `problems`; returns false if there was any.
bool set_each(entact::database& db, const std::vector<entact::entity_id>& ids,
              const std::string& value, problem_log& problems);

/// The same in atomic batches of at most `batch` ids: one `read_many`, then
/// `apply_batch` of version-checked updates (creates where absent). Much
/// faster for many ids when writes are synced; made for a setup that no
/// one else writes to meanwhile.
bool set_in_batches(entact::database& db,
                    const std::vector<entact::entity_id>& ids,
                    const std::string& value, size_t batch,
                    problem_log& problems);

} // namespace example
