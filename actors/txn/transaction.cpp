#include "entact/transaction.hpp"

#include <algorithm>

#include "entact/errc.hpp"

namespace entact {

transaction::transaction(const std::vector<record>& locked) {
  for (auto& r : locked)
    locked_.emplace(r.id, r);
}

caf::expected<record> transaction::get(const entity_id& id) const {
  auto i = locked_.find(id);
  if (i == locked_.end())
    return make_error(errc::invalid_argument, id + " is not locked");
  auto w = std::find_if(writes_.begin(), writes_.end(),
                        [&](const txn_write& x) { return x.id == id; });
  if (w == writes_.end())
    return i->second;
  // The staged view: the version is the one this write will replace.
  return record{id, i->second.version, w->value, w->erase};
}

caf::error transaction::put(const entity_id& id, std::string value) {
  return stage(txn_write{id, false, std::move(value)});
}

caf::error transaction::erase(const entity_id& id) {
  return stage(txn_write{id, true, {}});
}

std::vector<txn_write> transaction::writes() const {
  return writes_;
}

caf::error transaction::stage(txn_write w) {
  if (locked_.count(w.id) == 0)
    return make_error(errc::invalid_argument, w.id + " is not locked");
  auto i = std::find_if(writes_.begin(), writes_.end(),
                        [&](const txn_write& x) { return x.id == w.id; });
  if (i != writes_.end())
    *i = std::move(w);
  else
    writes_.push_back(std::move(w));
  return {};
}

} // namespace entact
