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

/// At a decision holder with `check_prepared`: the sweep runs every
/// `forget_after`, but at least once a second and at most once per
/// `ask_backoff`. Each run lists one page
/// of decision records (going round the store page by page) and asks the
/// participants of at most a few commit decisions older than `forget_after`
/// whether they still hold them prepared; one none holds is deleted. A
/// participant that holds it, or does not answer, keeps it: asked again
/// after a backoff (as `retry_later`). Forgetting is safe then: no
/// participant can still ask for that outcome, and none can prepare the
/// name again (its transaction is gone).
void arm_sweep(prepared_table_ptr self, const twopc_context* ctx);
void sweep_decisions(prepared_table_ptr self, const twopc_context* ctx);

/// Answers `decision_stats`: the store's count and the sweep's counters.
caf::result<decision_stats> decision_stats_of(prepared_table_ptr self,
                                              const twopc_context* ctx);

} // namespace entact::detail
