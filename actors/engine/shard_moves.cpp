// The engine's part in a shard move: its store's install and fence, and
// whether prepared transactions hold ids of the shard. The cluster's mover
// (cluster/mover) drives them.

#include "engine/engine_impl.hpp"
#include "entact/errc.hpp"

namespace entact {

caf::expected<size_t> engine::install(const std::vector<record>& records) {
  if (!impl_->store)
    return make_error(errc::closed, "the engine is closed");
  return impl_->store->install(records);
}

caf::error engine::fence(std::function<bool(const entity_id&)> refuse) {
  if (!impl_->store)
    return make_error(errc::closed, "the engine is closed");
  return impl_->store->fence(std::move(refuse));
}

bool engine::holds_prepared(
  const std::function<bool(const entity_id&)>& pred) const {
  if (!impl_->store)
    return false;
  for (const auto& txn : impl_->store->prepared())
    for (const auto& w : txn.writes)
      if (pred(w.op.id))
        return true;
  return false;
}

} // namespace entact
