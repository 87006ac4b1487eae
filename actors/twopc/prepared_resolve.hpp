#pragma once

#include <functional>
#include <string>

#include "twopc/prepared_table.hpp"

namespace entact::detail {

// How the prepared table resolves a transaction no coordinator decides:
// it asks the decision holder (itself, when it is the holder) with
// backoff, and applies what it learns; it never guesses, so while the
// holder is unreachable the transaction stays prepared, its ids held.

using prepared_table_ptr
  = prepared_table_actor::stateful_pointer<prepared_table_state>;

/// Ends prepared transaction `name` as job result `r` says (if the job
/// ended it in the store): releases its locks, publishing the records it
/// wrote, frees its held ids and remembers the outcome.
void settle(prepared_table_ptr self, const twopc_context* ctx,
            const std::string& name, const job_result& r);

/// Answers a decision query at the holder (see `decide_job`), settling a
/// transaction that the answer aborts.
void decide_here(prepared_table_ptr self, const twopc_context* ctx,
                 const std::string& name,
                 std::function<void(caf::expected<twopc_outcome>)> done);

/// Makes sure `resolve_due` runs while transactions are prepared.
void arm_resolve(prepared_table_ptr self, const twopc_context* ctx);

/// Asks about every prepared transaction that is due.
void resolve_due(prepared_table_ptr self, const twopc_context* ctx);

} // namespace entact::detail
