#pragma once

#include <vector>

#include <caf/actor_system.hpp>

#include "entact/interfaces.hpp"
#include "entact/retry_policy.hpp"
#include "entact/transaction.hpp"

namespace entact::detail {

/// The client side of `database::transact`, for any coordinator, local or
/// remote: begin, lock, run `body`, commit; retry wait-die victims and
/// conflicts with their original age. A scoped actor owns each attempt, so
/// the transaction aborts if this thread leaves early.
caf::expected<std::vector<record>>
run_transaction(caf::actor_system& sys, const coordinator_api& coord,
                caf::timespan timeout, const std::vector<entity_id>& ids,
                const txn_body& body, const txn_options& opts,
                const retry_policy& retry);

} // namespace entact::detail
