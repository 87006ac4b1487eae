// The write fence of a shard move (partition::fence): the committer refuses a
// fenced id's batch before it is decided, so once the fence is set (between
// two groups) nothing of the fenced ids changes but by `install`.

#include "write_fence.hpp"

#include "entact/errc.hpp"
#include "partition_impl.hpp"

namespace entact::storage {

caf::error partition::fence(std::function<bool(const entity_id&)> refuse) {
  if (!impl_->run_alone([&] { impl_->fence = std::move(refuse); }))
    return make_error(errc::closed, "the store is closed");
  return {};
}

namespace detail {

caf::error fenced_error(const fence_predicate& refuse,
                        const std::vector<write_op>& ops) {
  if (!refuse)
    return {};
  for (const auto& op : ops)
    if (refuse(op.id))
      return make_error(errc::unavailable,
                        op.id.substr(0, 64)
                          + " is fenced here (its shard is moving or moved "
                            "away): not written, retry at its owner");
  return {};
}

bool refuse_fenced(const fence_predicate& refuse,
                   std::vector<pending_batch>& group,
                   std::atomic<uint64_t>& refused) {
  std::vector<pending_batch> kept;
  kept.reserve(group.size());
  for (auto& batch : group) {
    if (auto err = fenced_error(refuse, batch.ops)) {
      ++refused;
      if (batch.done)
        batch.done(std::move(err));
      continue;
    }
    kept.push_back(std::move(batch));
  }
  group = std::move(kept);
  return group.empty();
}

} // namespace detail

} // namespace entact::storage
