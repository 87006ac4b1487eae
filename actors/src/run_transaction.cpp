#include "run_transaction.hpp"

#include <algorithm>

#include "entact/errc.hpp"

namespace entact::detail {

namespace {

using records = std::vector<record>;

/// Wait-die victims and conflicts with outside writes deserve another try;
/// everything else is the caller's to handle.
bool retryable(const caf::error& err) {
  auto code = code_of(err);
  return code == errc::aborted || code == errc::conflict;
}

/// Runs `body` on the locked records; aborts the transaction if the body
/// fails or throws.
caf::expected<std::vector<txn_write>>
run_body(call_gate& gate, const coordinator_api& coord, caf::timespan timeout,
         txn_id id, const records& locked, const txn_body& body) {
  auto abort = [&] {
    gate.relay<bool>(coord, timeout, abort_atom::value, id);
  };
  transaction txn{locked};
  try {
    if (auto err = body(txn)) {
      abort();
      return err;
    }
  } catch (...) {
    abort();
    throw;
  }
  return txn.writes();
}

} // namespace

caf::expected<records>
run_transaction(call_gate& gate, const coordinator_api& coord,
                caf::timespan timeout, const std::vector<entity_id>& ids,
                const txn_body& body, const txn_options& opts,
                const retry_policy& retry) {
  if (auto err = gate.refusal())
    return err;
  call_gate::scope call{gate};
  if (!call.entered())
    return call_gate::closed_error();
  auto attempt_opts = opts;
  caf::expected<records> result = make_error(errc::aborted);
  for (unsigned n = 0; n < std::max(retry.max_attempts, 1u); ++n) {
    if (n > 0)
      back_off(retry, n - 1);
    auto handle = gate.relay<txn_handle>(coord, timeout, begin_atom::value,
                                         attempt_opts);
    if (!handle)
      return std::move(handle.error());
    attempt_opts.age = handle->age; // a retry keeps its age: no starvation
    auto n_ids = static_cast<int64_t>(std::max<size_t>(ids.size(), 1));
    auto locked = gate.relay<records>(coord,
                                      attempt_opts.lock_wait * n_ids + timeout,
                                      lock_atom::value, handle->id, ids);
    if (!locked) {
      result = std::move(locked.error());
      if (retryable(result.error()))
        continue;
      return result;
    }
    auto writes = run_body(gate, coord, timeout, handle->id, *locked, body);
    if (!writes)
      return std::move(writes.error());
    result = gate.relay<records>(coord, timeout, commit_atom::value,
                                 handle->id, std::move(*writes));
    if (result || !retryable(result.error()))
      return result;
  }
  return result;
}

} // namespace entact::detail
