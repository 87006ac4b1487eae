#include <algorithm>

#include <caf/scoped_actor.hpp>

#include "engine_impl.hpp"

namespace entact {

namespace {

using records = std::vector<record>;

/// One blocking round trip to `dest` on behalf of `self`.
template <class T, class Handle, class... Ts>
caf::expected<T> call(caf::scoped_actor& self, const Handle& dest,
                      caf::timespan timeout, Ts&&... xs) {
  caf::expected<T> result = make_error(errc::timeout);
  self->request(dest, timeout, std::forward<Ts>(xs)...)
    .receive([&](T& x) { result = std::move(x); },
             [&](caf::error& err) { result = detail::normalize(err); });
  return result;
}

/// Wait-die victims and conflicts with outside writes deserve another try;
/// everything else is the caller's to handle.
bool retryable(const caf::error& err) {
  auto code = code_of(err);
  return code == errc::aborted || code == errc::conflict;
}

} // namespace

caf::expected<records> engine::transact(const std::vector<entity_id>& ids,
                                        const txn_body& body,
                                        const txn_options& opts,
                                        const retry_policy& retry) {
  if (!impl_->enter())
    return make_error(errc::closed, "the engine is closed");
  struct leave_on_exit {
    impl* state;
    ~leave_on_exit() {
      state->leave();
    }
  } guard{impl_.get()};
  // The scoped actor owns the transaction: if this thread leaves early
  // (even by an exception from `body`), the transaction aborts.
  caf::scoped_actor self{*impl_->sys};
  const auto& coord = impl_->coordinator;
  const caf::timespan timeout = impl_->opts.request_timeout;
  auto attempt_opts = opts;
  caf::expected<records> result = make_error(errc::aborted);
  for (unsigned n = 0; n < std::max(retry.max_attempts, 1u); ++n) {
    if (n > 0)
      back_off(retry, n - 1);
    auto handle = call<txn_handle>(self, coord, timeout, begin_atom::value,
                                   attempt_opts);
    if (!handle)
      return std::move(handle.error());
    attempt_opts.age = handle->age; // a retry keeps its age: no starvation
    auto lock_deadline = attempt_opts.lock_wait
                           * static_cast<int64_t>(std::max<size_t>(ids.size(), 1))
                         + timeout;
    auto locked = call<records>(self, coord, lock_deadline, lock_atom::value,
                                handle->id, ids);
    if (!locked) {
      result = std::move(locked.error());
      if (retryable(result.error()))
        continue;
      return result;
    }
    transaction txn{*locked};
    if (auto err = body(txn)) {
      call<bool>(self, coord, timeout, abort_atom::value, handle->id);
      return err;
    }
    result = call<records>(self, coord, timeout, commit_atom::value,
                           handle->id, txn.writes());
    if (result || !retryable(result.error()))
      return result;
  }
  return result;
}

} // namespace entact
