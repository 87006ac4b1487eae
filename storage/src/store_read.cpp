#include <algorithm>

#include <rocksdb/snapshot.h>

#include "entact/errc.hpp"
#include "entact/saturating.hpp"
#include "entact/storage/record_codec.hpp"
#include "partition.hpp"
#include "status.hpp"
#include "partition_impl.hpp"

namespace entact::storage {

namespace {

// Turns one RocksDB lookup into a record: absent reads as version 0.
caf::expected<record> to_record(std::string_view id, const rocksdb::Status& s,
                                const std::string& bytes) {
  if (s.IsNotFound())
    return record{std::string{id}, no_version, {}, false};
  if (!s.ok())
    return detail::storage_error("reading " + std::string{id}, s);
  return decode_record(id, bytes);
}

// Keys per MultiGet: the reply bound is checked after each key, so at most
// this many values past the bound are ever read into memory.
constexpr size_t read_chunk = 16;

/// A read whose first `fit` of `ids` records fit the bound and whose first
/// `fit + 1` make `reached` bytes.
caf::error reply_too_large(size_t fit, size_t ids, size_t reached,
                           const limits& lim) {
  return make_error(errc::too_large,
                    "a read's reply is limited to "
                      + std::to_string(lim.max_read_bytes)
                      + " bytes of ids and values: the first "
                      + std::to_string(fit) + " of its " + std::to_string(ids)
                      + " ids fit, the first " + std::to_string(fit + 1)
                      + " reach " + std::to_string(reached) + " bytes");
}

} // namespace

caf::expected<record> partition::read(std::string_view id) const {
  if (auto err = validate_id(id, impl_->opts.limits))
    return err;
  // Taken before the read: the read sees at least this state.
  auto sequence = impl_->db->GetLatestSequenceNumber();
  std::string bytes;
  auto s = impl_->db->Get(rocksdb::ReadOptions{}, entity_key(id), &bytes);
  auto r = to_record(id, s, bytes);
  if (r && !impl_->outside_writer.load())
    impl_->hints.offer(*r, sequence);
  return r;
}

caf::expected<std::vector<record>>
partition::read_many(const std::vector<entity_id>& ids) const {
  // The one place the read limits are enforced: the embedded engine and
  // a server's readers both read through here.
  if (auto err = validate_read(ids, impl_->opts.limits))
    return err;
  // One snapshot for all keys: the records are one consistent state even
  // while the committer writes. ManagedSnapshot releases it on every path.
  rocksdb::ManagedSnapshot snapshot{impl_->db.get()};
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot.snapshot();
  auto& lim = impl_->opts.limits;
  std::vector<record> result;
  result.reserve(ids.size());
  size_t reply_bytes = 0;
  // In chunks, so that a reply over the bound stops growing at the bound
  // instead of being read whole first.
  for (size_t first = 0; first < ids.size(); first += read_chunk) {
    auto last = std::min(ids.size(), first + read_chunk);
    std::vector<std::string> keys;
    for (auto i = first; i < last; ++i)
      keys.push_back(entity_key(ids[i]));
    std::vector<rocksdb::Slice> slices{keys.begin(), keys.end()};
    std::vector<std::string> values;
    auto statuses = impl_->db->MultiGet(ro, slices, &values);
    for (auto i = first; i < last; ++i) {
      auto rec = to_record(ids[i], statuses[i - first], values[i - first]);
      if (!rec)
        return std::move(rec.error());
      auto record_bytes = entact::detail::add_sat(rec->id.size(),
                                                  rec->value.size());
      reply_bytes = entact::detail::add_sat(reply_bytes, record_bytes);
      if (reply_bytes > lim.max_read_bytes)
        return reply_too_large(i, ids.size(), reply_bytes, lim);
      result.push_back(std::move(*rec));
    }
  }
  return result;
}

} // namespace entact::storage

namespace entact::storage {

caf::expected<record> store::read(std::string_view id) const {
  // The partition checks the id (any bytes hash to some partition).
  return impl_->of(id).read(id);
}

// Several partitions: each reads its ids from its own snapshot; the bound
// on the reply is checked again over the whole, in the order asked.
caf::expected<std::vector<record>>
store::read_many(const std::vector<entity_id>& ids) const {
  if (impl_->parts.size() == 1)
    return impl_->parts.front()->read_many(ids);
  const auto& lim = impl_->opts.limits;
  if (auto err = validate_read(ids, lim))
    return err;
  auto count = impl_->parts.size();
  std::vector<std::vector<entity_id>> asked(count);
  std::vector<size_t> part_of(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    part_of[i] = partition_of(ids[i], count);
    asked[part_of[i]].push_back(ids[i]);
  }
  std::vector<std::vector<record>> read(count);
  for (size_t k = 0; k < count; ++k) {
    if (asked[k].empty())
      continue;
    auto recs = impl_->parts[k]->read_many(asked[k]);
    if (!recs)
      return std::move(recs.error());
    read[k] = std::move(*recs);
  }
  std::vector<size_t> next(count, 0);
  std::vector<record> result;
  result.reserve(ids.size());
  size_t reply_bytes = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    auto& rec = read[part_of[i]][next[part_of[i]]++];
    reply_bytes = entact::detail::add_sat(
      reply_bytes, entact::detail::add_sat(rec.id.size(), rec.value.size()));
    if (reply_bytes > lim.max_read_bytes)
      return reply_too_large(i, ids.size(), reply_bytes, lim);
    result.push_back(std::move(rec));
  }
  return result;
}

} // namespace entact::storage
