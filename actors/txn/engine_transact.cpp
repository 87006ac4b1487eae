#include "engine/engine_impl.hpp"
#include "txn/run_transaction.hpp"

namespace entact {

caf::expected<std::vector<record>>
engine::transact(const std::vector<entity_id>& ids, const txn_body& body,
                 const txn_options& opts, const retry_policy& retry) {
  return detail::run_transaction(impl_->gate, impl_->coordinator,
                                 impl_->opts.request_timeout, ids, body, opts,
                                 retry);
}

} // namespace entact
