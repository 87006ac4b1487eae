#pragma once

#include <cstdint>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "entact/entity_id.hpp"

namespace entact::storage::detail {

/// The ids a partition holds for batches that span partitions
/// (span_steps.cpp): from the group that decided a span's part here (its
/// hold) until the group that writes it (its apply) is durable, no other
/// batch or prepare may touch them, so the part stays decided on what is
/// stored. In memory only: a crash ends every span that has not recorded
/// its intent, and recovery finishes those that have. The deciding
/// committer thread's alone: no lock.
class span_holds {
public:
  /// Holds `id` for `span` (0 is no span).
  void hold(uint64_t span, const entity_id& id);

  /// Frees every id `span` holds.
  void release(uint64_t span);

  /// The span holding `id`, 0 if none.
  uint64_t holder_of(const entity_id& id) const;

  bool empty() const noexcept {
    return by_id_.empty() && waiting_.empty();
  }

  /// Ids of batches set aside until a span frees them (`wait_on`): a later
  /// batch naming one waits behind them, so batches of one id keep their
  /// order; `stop_waiting` once they are queued again.
  void wait_on(const entity_id& id) {
    waiting_.insert(id);
  }
  bool waiting(const entity_id& id) const {
    return !waiting_.empty() && waiting_.count(id) != 0;
  }
  void stop_waiting() {
    waiting_.clear();
  }

private:
  std::unordered_set<entity_id> waiting_;
  std::unordered_map<entity_id, uint64_t> by_id_;
  std::unordered_map<uint64_t, std::vector<entity_id>> by_span_;
};

} // namespace entact::storage::detail
