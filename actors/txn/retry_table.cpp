#include "txn/retry_table.hpp"

#include <string>

#include "entact/errc.hpp"

namespace entact::detail {

caf::error retry_refused(txn_id id, const std::string& why) {
  return make_error(errc::invalid_argument,
                    "cannot retry transaction " + std::to_string(id) + ": "
                      + why);
}

retry_table::retry_table(size_t capacity) : capacity_(capacity) {
  // nop
}

void retry_table::ended(txn_id id, uint64_t token, inherited_age from,
                        bool committed) {
  if (capacity_ == 0)
    return;
  auto now = committed ? state::committed : state::retryable;
  if (!entries_.emplace(id, entry{from, token, now}).second)
    return; // ids are never reused: an attempt ends once
  order_.push_back(id);
  if (order_.size() > capacity_) {
    entries_.erase(order_.front());
    order_.pop_front();
  }
}

caf::expected<inherited_age> retry_table::take(txn_id id, uint64_t token) {
  auto i = entries_.find(id);
  if (i == entries_.end())
    return inherited_age{};
  auto& e = i->second;
  auto refuse = [id](const char* why) { return retry_refused(id, why); };
  // The token first: who does not know it learns nothing else.
  if (token != e.token)
    return refuse("wrong retry token");
  if (e.now == state::committed)
    return refuse("it committed (or may have: its commit is in doubt)");
  if (e.now == state::retried)
    return refuse("it was retried already");
  e.now = state::retried;
  return e.from;
}

} // namespace entact::detail
