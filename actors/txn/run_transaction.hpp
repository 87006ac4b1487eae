#pragma once

#include <vector>

#include "callers/call_gate.hpp"
#include "entact/interfaces.hpp"
#include "entact/retry_policy.hpp"
#include "entact/transaction.hpp"

namespace entact::detail {

/// The client side of `database::transact`, for any coordinator, local or
/// remote: begin, lock, run `body`, commit; retry wait-die victims and
/// conflicts, each retry naming the attempt before (see `txn_options`) so
/// that all keep the first attempt's age, and answer `retries_exhausted`
/// (carrying the last of them) once `retry.max_attempts` are spent. A
/// commit's records come back in the order of `ids`, one per id (see
/// `database::transact`). Counted as one call of `gate`,
/// whose gateways make each step (so losing a remote server ends every
/// wait at once). If `body` throws, the transaction is aborted before
/// the exception leaves.
caf::expected<std::vector<record>>
run_transaction(call_gate& gate, const coordinator_api& coord,
                caf::timespan timeout, const std::vector<entity_id>& ids,
                const txn_body& body, const txn_options& opts,
                const retry_policy& retry);

} // namespace entact::detail
