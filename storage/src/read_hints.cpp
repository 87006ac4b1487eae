#include "read_hints.hpp"

#include <utility>

namespace entact::storage::detail {

void read_hints::offer(const record& r, uint64_t sequence) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (waiting_.size() < capacity_)
    waiting_.push_back(hint{r.id, r.version, r.deleted, sequence});
}

std::vector<read_hints::hint> read_hints::take() {
  std::vector<hint> taken;
  std::lock_guard<std::mutex> guard{mtx_};
  taken.swap(waiting_);
  return taken;
}

} // namespace entact::storage::detail
