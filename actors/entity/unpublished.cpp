#include "entity/unpublished.hpp"

#include <functional>

namespace entact::detail {

unpublished::shard& unpublished::shard_of(const entity_id& id) const {
  return shards_[std::hash<entity_id>{}(id) % shard_count];
}

void unpublished::mark(const std::vector<write_op>& ops) {
  for (const auto& op : ops) {
    auto& s = shard_of(op.id);
    std::lock_guard<std::mutex> guard{s.mtx};
    ++s.marks[op.id];
    // Counted inside the lock: `contains` may skip the shard only while no
    // mark exists anywhere.
    total_.fetch_add(1);
  }
}

void unpublished::unmark(const entity_id& id) {
  auto& s = shard_of(id);
  std::lock_guard<std::mutex> guard{s.mtx};
  auto i = s.marks.find(id);
  if (i == s.marks.end())
    return;
  if (--i->second == 0)
    s.marks.erase(i);
  total_.fetch_sub(1);
}

bool unpublished::contains(const entity_id& id) const {
  if (total_.load() == 0)
    return false;
  auto& s = shard_of(id);
  std::lock_guard<std::mutex> guard{s.mtx};
  return s.marks.count(id) != 0;
}

} // namespace entact::detail
