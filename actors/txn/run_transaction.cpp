#include "txn/run_transaction.hpp"

#include <algorithm>

#include "entact/errc.hpp"

namespace entact::detail {

namespace {

using records = std::vector<record>;

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

/// One record per locked id, in the order of `locked` (the caller's `ids`):
/// the new record where the commit wrote one, else the record locked.
records in_order_of_ids(records locked, records written) {
  for (auto& w : written) {
    auto i = std::find_if(locked.begin(), locked.end(),
                          [&](const record& r) { return r.id == w.id; });
    if (i != locked.end())
      *i = std::move(w);
  }
  return locked;
}

/// Begin and lock go in one round trip. If their answer comes after we
/// gave up waiting, nobody will commit or abort that transaction: the
/// gateway aborts it, rather than let it hold its locks until its lease.
call_gate::undo_fn<txn_begun> abort_late(const coordinator_api& coord) {
  return [coord](caf::event_based_actor* self, txn_begun& begun) {
    if (!begun.error)
      self->request(coord, caf::infinite, abort_atom::value, begun.handle.id)
        .then([](bool) {}, [](caf::error&) {});
  };
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
  // The caller may name an attempt to retry; later attempts each name the
  // one before, so all keep the first one's age.
  auto attempt_opts = opts;
  auto attempts = std::max(retry.max_attempts, 1u);
  caf::error last;
  for (unsigned n = 0; n < attempts; ++n) {
    if (n > 0)
      back_off(retry, n - 1);
    auto begun = gate.relay_or_undo<txn_begun>(
      coord, attempt_opts.lock_wait + timeout, abort_late(coord),
      begin_atom::value, attempt_opts, ids);
    if (!begun)
      return std::move(begun.error());
    attempt_opts = retry_options(attempt_opts, begun->handle);
    if (begun->error) {
      if (!worth_retrying(begun->error))
        return std::move(begun->error);
      last = std::move(begun->error);
      continue;
    }
    auto& handle = begun->handle;
    auto& locked = begun->locked;
    auto writes = run_body(gate, coord, timeout, handle.id, locked, body);
    if (!writes)
      return std::move(writes.error());
    auto result = gate.relay<records>(coord, timeout, commit_atom::value,
                                      handle.id, std::move(*writes));
    if (result)
      return in_order_of_ids(std::move(locked), std::move(*result));
    if (!worth_retrying(result.error()))
      return result;
    last = std::move(result.error());
  }
  // Contention, not the body: say so, so that a body's own `aborted`
  // ("insufficient funds") stays the body's.
  return make_retries_exhausted_error(attempts, std::move(last));
}

} // namespace entact::detail
