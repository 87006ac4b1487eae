#include <rocksdb/snapshot.h>

#include "entact/errc.hpp"
#include "entact/storage/record_codec.hpp"
#include "entact/storage/store.hpp"
#include "status.hpp"
#include "store_impl.hpp"

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

} // namespace

caf::expected<record> store::read(std::string_view id) const {
  if (auto err = validate_id(id, impl_->opts.limits))
    return err;
  std::string bytes;
  auto s = impl_->db->Get(rocksdb::ReadOptions{}, entity_key(id), &bytes);
  return to_record(id, s, bytes);
}

caf::expected<std::vector<record>>
store::read_many(const std::vector<entity_id>& ids) const {
  // The one place the read limits are enforced: the embedded engine and
  // a server's readers both read through here.
  if (auto err = validate_read(ids, impl_->opts.limits))
    return err;
  std::vector<std::string> keys;
  keys.reserve(ids.size());
  for (const auto& id : ids)
    keys.push_back(entity_key(id));
  std::vector<rocksdb::Slice> slices{keys.begin(), keys.end()};
  // One snapshot for all keys: the records are one consistent state even
  // while the committer writes. ManagedSnapshot releases it on every path.
  rocksdb::ManagedSnapshot snapshot{impl_->db.get()};
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot.snapshot();
  std::vector<std::string> values;
  auto statuses = impl_->db->MultiGet(ro, slices, &values);
  std::vector<record> result;
  result.reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    auto rec = to_record(ids[i], statuses[i], values[i]);
    if (!rec)
      return std::move(rec.error());
    result.push_back(std::move(*rec));
  }
  return result;
}

} // namespace entact::storage
