#include "support/coordinator_session.hpp"

#include <utility>

#include <caf/error.hpp>

#include <entact/errc.hpp>

namespace example {

coordinator_session::coordinator_session(entact::engine& eng)
  : self_(eng.system()), coord_(eng.coordinator()),
    timeout_(std::chrono::duration_cast<std::chrono::milliseconds>(
      eng.options().request_timeout)) {
}

// One request to the coordinator, waited for.
template <class T, class... Ts>
caf::expected<T> coordinator_session::request(Ts&&... xs) {
  caf::expected<T> result = entact::make_error(entact::errc::timeout);
  self_->request(coord_, timeout_, std::forward<Ts>(xs)...)
    .receive([&](T& x) { result = std::move(x); },
             [&](caf::error& err) { result = std::move(err); });
  return result;
}

caf::expected<std::vector<entact::record>>
coordinator_session::begin_and_lock(const std::vector<entact::entity_id>& ids,
                                    entact::txn_options opts,
                                    const entact::retry_policy& retry) {
  caf::expected<std::vector<entact::record>> locked
    = entact::make_error(entact::errc::aborted);
  for (unsigned n = 0; n < retry.max_attempts; ++n) {
    if (n > 0)
      entact::back_off(retry, n - 1);
    auto handle = request<entact::txn_handle>(entact::begin_atom::value,
                                              opts);
    begun_ = static_cast<bool>(handle);
    if (!handle)
      return std::move(handle.error());
    handle_ = *handle;
    // wait-die: the retry names this attempt, so it keeps its age
    opts = entact::retry_options(opts, handle_);
    locked = request<std::vector<entact::record>>(entact::lock_atom::value,
                                                  handle_.id, ids);
    if (locked || entact::code_of(locked.error()) != entact::errc::aborted)
      break;
  }
  return locked;
}

caf::expected<std::vector<entact::record>>
coordinator_session::commit(std::vector<entact::txn_write> writes) {
  return request<std::vector<entact::record>>(entact::commit_atom::value,
                                              handle_.id, std::move(writes));
}

} // namespace example
