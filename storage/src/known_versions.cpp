#include "known_versions.hpp"

namespace entact::storage::detail {

std::optional<record> known_versions::find(const entity_id& id) const {
  auto i = known_.find(id);
  if (i == known_.end())
    return std::nullopt;
  return record{id, i->second.version, {}, i->second.deleted};
}

void known_versions::remember(const record& r) {
  if (capacity_ == 0)
    return;
  if (auto i = known_.find(r.id); i != known_.end()) {
    i->second = state{r.version, r.deleted};
    return;
  }
  // Dropping everything keeps this a plain map: no order to maintain on
  // the hot path, and a working set that fits never sees a drop.
  if (known_.size() >= capacity_)
    forget_all();
  known_.emplace(r.id, state{r.version, r.deleted});
}

} // namespace entact::storage::detail
