#include "twopc/held_ids.hpp"

#include "entact/errc.hpp"

namespace entact::detail {

void held_ids::add(const std::vector<entity_id>& ids) {
  std::lock_guard<std::mutex> guard{mtx_};
  for (auto& id : ids)
    ++ids_[id];
  count_ = ids_.size();
}

void held_ids::remove(const std::vector<entity_id>& ids) {
  std::lock_guard<std::mutex> guard{mtx_};
  for (auto& id : ids) {
    auto i = ids_.find(id);
    if (i != ids_.end() && --i->second == 0)
      ids_.erase(i);
  }
  count_ = ids_.size();
}

caf::error held_ids::check_locked(const entity_id& id) const {
  if (ids_.count(id) == 0)
    return {};
  return make_error(errc::in_doubt,
                    id + " is held by a prepared transaction: its "
                         "outcome is not known here yet");
}

caf::error held_ids::check(const entity_id& id) const {
  if (count_.load() == 0)
    return {};
  std::lock_guard<std::mutex> guard{mtx_};
  return check_locked(id);
}

caf::error held_ids::check(const std::vector<entity_id>& ids) const {
  if (count_.load() == 0)
    return {};
  std::lock_guard<std::mutex> guard{mtx_};
  for (auto& id : ids)
    if (auto err = check_locked(id))
      return err;
  return {};
}

} // namespace entact::detail
