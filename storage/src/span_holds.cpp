#include "span_holds.hpp"

namespace entact::storage::detail {

void span_holds::hold(uint64_t span, const entity_id& id) {
  if (by_id_.emplace(id, span).second)
    by_span_[span].push_back(id);
}

void span_holds::release(uint64_t span) {
  auto i = by_span_.find(span);
  if (i == by_span_.end())
    return;
  for (const auto& id : i->second)
    if (auto j = by_id_.find(id); j != by_id_.end() && j->second == span)
      by_id_.erase(j);
  by_span_.erase(i);
}

uint64_t span_holds::holder_of(const entity_id& id) const {
  auto i = by_id_.find(id);
  return i == by_id_.end() ? 0 : i->second;
}

} // namespace entact::storage::detail
