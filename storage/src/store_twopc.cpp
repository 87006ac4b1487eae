// Two-phase commit across nodes at a store of several partitions: a
// transaction's writes are prepared in the partitions their ids live in
// (each part a prepared record there, as at a store of one), and its
// decision record lives in the partition its txn id hashes to (its home).
// Every call below is idempotent per partition, so a caller that retries
// after a crash or a failure half-way finishes what the first try began.

#include <map>

#include "entact/errc.hpp"
#include "store_impl.hpp"

namespace entact::storage {

namespace {

using records = std::vector<record>;

// The partitions where `txn` is prepared, in partition order.
std::vector<partition*> holders(const std::vector<std::unique_ptr<partition>>& parts,
                                const std::string& txn) {
  std::vector<partition*> found;
  for (const auto& p : parts)
    if (p->find_prepared(txn))
      found.push_back(p.get());
  return found;
}

// Commits `txn` in each of `where`, the records in partition order.
caf::expected<records> commit_in(const std::vector<partition*>& where,
                                 const std::string& txn) {
  records all;
  for (auto* p : where) {
    auto recs = p->commit_prepared(txn);
    if (!recs)
      return recs;
    all.insert(all.end(), recs->begin(), recs->end());
  }
  return all;
}

} // namespace

caf::expected<prepared_txn> store::prepare(prepare_request req) {
  auto& parts = impl_->parts;
  if (parts.size() == 1)
    return parts.front()->prepare(std::move(req));
  if (req.ops.size() > impl_->opts.max_prepared_writes)
    return make_error(errc::too_large,
                      std::to_string(req.ops.size())
                        + " writes in one prepared transaction, limit is "
                        + std::to_string(impl_->opts.max_prepared_writes));
  std::map<size_t, prepare_request> split;
  std::vector<size_t> part_of;
  for (const auto& op : req.ops) {
    part_of.push_back(partition_of(op.id, parts.size()));
    auto& sub = split[part_of.back()];
    if (sub.ops.empty())
      sub = prepare_request{req.txn, {}, req.participants, req.decision_holder};
    sub.ops.push_back(op);
  }
  std::map<size_t, prepared_txn> done;
  std::vector<size_t> fresh;
  for (auto& [k, sub] : split) {
    bool before = parts[k]->find_prepared(req.txn).has_value();
    auto t = parts[k]->prepare(std::move(sub));
    if (!t) {
      // Undone where this call prepared it: the vote is no.
      for (auto j : fresh)
        parts[j]->abort_prepared(req.txn);
      return t;
    }
    if (!before)
      fresh.push_back(k);
    done.emplace(k, std::move(*t));
  }
  // One record, its writes in the order asked.
  prepared_txn merged = done.begin()->second;
  merged.writes.clear();
  std::map<size_t, size_t> next;
  for (auto k : part_of)
    merged.writes.push_back(done[k].writes[next[k]++]);
  return merged;
}

caf::expected<records> store::commit_prepared(std::string_view txn) {
  auto& parts = impl_->parts;
  std::string id{txn};
  if (parts.size() == 1)
    return parts.front()->commit_prepared(txn);
  auto where = holders(parts, id);
  if (where.empty())
    return impl_->of(id).commit_prepared(txn); // its error
  return commit_in(where, id);
}

caf::expected<records>
store::commit_prepared_as_decision(std::string_view txn) {
  auto& parts = impl_->parts;
  std::string id{txn};
  if (parts.size() == 1)
    return parts.front()->commit_prepared_as_decision(txn);
  auto& home = impl_->of(id);
  auto where = holders(parts, id);
  if (where.empty())
    return home.commit_prepared_as_decision(txn); // its error
  records all;
  auto at_home = std::find(where.begin(), where.end(), &home);
  if (at_home != where.end()) {
    auto recs = home.commit_prepared_as_decision(txn);
    if (!recs)
      return recs;
    all = std::move(*recs);
    where.erase(at_home);
  } else {
    auto t = where.front()->find_prepared(id);
    if (!t)
      return impl_->of(id).commit_prepared(txn); // resolved meanwhile
    if (auto err = home.record_decision(txn, decision::commit,
                                        t->participants))
      return err;
  }
  auto rest = commit_in(where, id);
  if (!rest)
    return rest;
  all.insert(all.end(), rest->begin(), rest->end());
  return all;
}

caf::error store::abort_prepared(std::string_view txn) {
  auto& parts = impl_->parts;
  std::string id{txn};
  if (parts.size() == 1)
    return parts.front()->abort_prepared(txn);
  auto where = holders(parts, id);
  if (where.empty())
    return impl_->of(id).abort_prepared(txn); // its error
  for (auto* p : where)
    if (auto err = p->abort_prepared(txn))
      return err;
  return {};
}

std::vector<prepared_txn> store::prepared() const {
  auto& parts = impl_->parts;
  if (parts.size() == 1)
    return parts.front()->prepared();
  std::map<std::string, prepared_txn> by_txn;
  for (const auto& p : parts)
    for (auto& t : p->prepared()) {
      auto [i, fresh] = by_txn.emplace(t.txn, t);
      if (!fresh)
        i->second.writes.insert(i->second.writes.end(), t.writes.begin(),
                                t.writes.end());
    }
  std::vector<prepared_txn> all;
  for (auto& [txn, t] : by_txn)
    all.push_back(std::move(t));
  return all;
}

caf::error store::record_decision(std::string_view txn, decision d,
                                  std::vector<std::string> participants) {
  return impl_->of(txn).record_decision(txn, d, std::move(participants));
}

caf::expected<decision> store::decision_of(std::string_view txn) const {
  return impl_->of(txn).decision_of(txn);
}

caf::error store::forget_decision(std::string_view txn) {
  return impl_->of(txn).forget_decision(txn);
}

// Each partition's first `limit` after `after`, merged: the first `limit`
// of all are among them.
caf::expected<std::vector<decision_info>>
store::decisions(std::string_view after, size_t limit) const {
  auto& parts = impl_->parts;
  if (parts.size() == 1)
    return parts.front()->decisions(after, limit);
  std::vector<decision_info> all;
  for (const auto& p : parts) {
    auto page = p->decisions(after, limit);
    if (!page)
      return page;
    all.insert(all.end(), page->begin(), page->end());
  }
  std::sort(all.begin(), all.end(),
            [](const auto& x, const auto& y) { return x.txn < y.txn; });
  all.resize(std::min(all.size(), std::min(limit, max_decisions_listed)));
  return all;
}

caf::expected<uint64_t> store::decision_count() const {
  uint64_t n = 0;
  for (const auto& p : impl_->parts) {
    auto k = p->decision_count();
    if (!k)
      return k;
    n += *k;
  }
  return n;
}

} // namespace entact::storage
