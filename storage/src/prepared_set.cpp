#include "prepared_set.hpp"

namespace entact::storage::detail {

void prepared_set::add(prepared_txn t, size_t bytes) {
  std::lock_guard<std::mutex> guard{mtx_};
  for (const auto& w : t.writes)
    held_[w.op.id] = t.txn;
  auto txn = t.txn;
  if (auto i = txns_.find(txn); i != txns_.end())
    bytes_ -= i->second.bytes;
  bytes_ += bytes;
  txns_.insert_or_assign(std::move(txn), entry{std::move(t), bytes});
}

void prepared_set::remove(const std::string& txn) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = txns_.find(txn);
  if (i == txns_.end())
    return;
  for (const auto& w : i->second.txn.writes)
    held_.erase(w.op.id);
  bytes_ -= i->second.bytes;
  txns_.erase(i);
}

std::optional<prepared_txn> prepared_set::find(const std::string& txn) const {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = txns_.find(txn);
  if (i == txns_.end())
    return std::nullopt;
  return i->second.txn;
}

std::vector<prepared_txn> prepared_set::list() const {
  std::lock_guard<std::mutex> guard{mtx_};
  std::vector<prepared_txn> all;
  all.reserve(txns_.size());
  for (const auto& [txn, e] : txns_)
    all.push_back(e.txn);
  return all;
}

size_t prepared_set::size() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return txns_.size();
}

const std::string* prepared_set::holder_of(const entity_id& id) const {
  auto i = held_.find(id);
  return i == held_.end() ? nullptr : &i->second;
}

} // namespace entact::storage::detail
