#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

#include <caf/error.hpp>

#include "commit_queue.hpp"
#include "entact/write_op.hpp"

namespace entact::storage::detail {

using fence_predicate = std::function<bool(const entity_id&)>;

/// `unavailable` if `refuse` (the store's fence, non-empty) names an id of
/// `ops`; empty otherwise.
caf::error fenced_error(const fence_predicate& refuse,
                        const std::vector<write_op>& ops);

/// Answers every batch of `group` that names a fenced id with
/// `unavailable` (counting it in `refused`) and takes it out of the group.
/// Returns true if nothing is left to commit.
bool refuse_fenced(const fence_predicate& refuse,
                   std::vector<pending_batch>& group,
                   std::atomic<uint64_t>& refused);

} // namespace entact::storage::detail
