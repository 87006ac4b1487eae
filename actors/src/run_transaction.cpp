#include "run_transaction.hpp"

#include <algorithm>

#include <caf/scoped_actor.hpp>

#include "entact/errc.hpp"
#include "call_gate.hpp"

namespace entact::detail {

namespace {

using records = std::vector<record>;

/// Wait-die victims and conflicts with outside writes deserve another try;
/// everything else is the caller's to handle.
bool retryable(const caf::error& err) {
  auto code = code_of(err);
  return code == errc::aborted || code == errc::conflict;
}

} // namespace

caf::expected<records>
run_transaction(caf::actor_system& sys, const coordinator_api& coord,
                caf::timespan timeout, const std::vector<entity_id>& ids,
                const txn_body& body, const txn_options& opts,
                const retry_policy& retry) {
  caf::scoped_actor self{sys};
  auto attempt_opts = opts;
  caf::expected<records> result = make_error(errc::aborted);
  for (unsigned n = 0; n < std::max(retry.max_attempts, 1u); ++n) {
    if (n > 0)
      back_off(retry, n - 1);
    auto handle = blocking_call<txn_handle>(self, coord, timeout,
                                            begin_atom::value, attempt_opts);
    if (!handle)
      return std::move(handle.error());
    attempt_opts.age = handle->age; // a retry keeps its age: no starvation
    auto n_ids = static_cast<int64_t>(std::max<size_t>(ids.size(), 1));
    auto locked = blocking_call<records>(
      self, coord, attempt_opts.lock_wait * n_ids + timeout, lock_atom::value,
      handle->id, ids);
    if (!locked) {
      result = std::move(locked.error());
      if (retryable(result.error()))
        continue;
      return result;
    }
    transaction txn{*locked};
    if (auto err = body(txn)) {
      blocking_call<bool>(self, coord, timeout, abort_atom::value, handle->id);
      return err;
    }
    result = blocking_call<records>(self, coord, timeout, commit_atom::value,
                                    handle->id, txn.writes());
    if (result || !retryable(result.error()))
      return result;
  }
  return result;
}

} // namespace entact::detail
