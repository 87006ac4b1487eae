#pragma once

#include <atomic>
#include <mutex>
#include <unordered_map>
#include <vector>

#include <caf/error.hpp>

#include "entact/entity_id.hpp"

namespace entact::detail {

/// The ids held by prepared transactions, for the reads that go straight
/// to storage (`engine::read`, `read_many`, a remote `read`): storage
/// still holds their value from before the transaction, whose commit may
/// already be decided elsewhere, so such a read answers `in_doubt`
/// instead of going back in time. Entity gets learn the same from their
/// lock (see `prepared_age`).
///
/// An id is added before its prepare's vote is answered and removed only
/// after its commit or abort is durable, and readers check before they
/// read: a read that finds an id free reads the outcome, or a value from
/// before any decision. Thread-safe; free when nothing is held.
class held_ids {
public:
  void add(const std::vector<entity_id>& ids);
  void remove(const std::vector<entity_id>& ids);

  /// `in_doubt` if one of `ids` is held, else an empty error.
  caf::error check(const std::vector<entity_id>& ids) const;
  caf::error check(const entity_id& id) const;

private:
  caf::error check_locked(const entity_id& id) const;

  /// How many ids are held: readers skip the mutex while it is 0.
  std::atomic<size_t> count_{0};
  mutable std::mutex mtx_;
  /// An id may be held by one prepared transaction at a time (storage
  /// refuses another), but a count keeps `remove` exact regardless.
  std::unordered_map<entity_id, size_t> ids_;
};

} // namespace entact::detail
