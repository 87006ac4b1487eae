// `partition::install`: the records of a shard moved in from another node,
// written with the versions they had there. Newer-only, so that a copy, its
// catch-up and any retry can overlap in any order and never take an id back
// in time; one synced write, on the committer between groups, so no group
// decides against a record the install is changing.

#include <string>
#include <unordered_map>

#include <rocksdb/write_batch.h>

#include "entact/errc.hpp"
#include "entact/storage/record_codec.hpp"
#include "partition.hpp"
#include "status.hpp"
#include "partition_impl.hpp"

namespace entact::storage {

namespace {

caf::error validate_install(const std::vector<record>& records,
                            const limits& lim) {
  if (records.size() > store::max_install_records)
    return make_error(errc::too_large,
                      std::to_string(records.size())
                        + " records in one install, limit is "
                        + std::to_string(store::max_install_records));
  for (const auto& r : records) {
    if (auto err = validate_id(r.id, lim))
      return err;
    if (r.version == no_version)
      return make_error(errc::invalid_argument,
                        "installing " + r.id + " without a version");
    if (r.value.size() > lim.max_value_bytes)
      return make_error(errc::too_large, "the value of " + r.id
                                           + " is over max_value_bytes");
  }
  return {};
}

// The stored version of `id` (no_version if never stored).
caf::expected<version_t> stored_version(rocksdb::DB& db,
                                        const entity_id& id) {
  std::string bytes;
  auto s = db.Get(rocksdb::ReadOptions{}, entity_key(id), &bytes);
  if (s.IsNotFound())
    return no_version;
  if (!s.ok())
    return detail::storage_error("reading " + id, s);
  auto rec = decode_record(id, bytes);
  if (!rec)
    return std::move(rec.error());
  return rec->version;
}

} // namespace

caf::expected<size_t> partition::install(const std::vector<record>& records) {
  if (auto err = validate_install(records, impl_->opts.limits))
    return err;
  caf::expected<size_t> result
    = make_error(errc::closed, "the store is closed");
  auto job = [&] {
    auto& st = *impl_;
    // The newest of each id, in case the same id comes twice.
    std::unordered_map<entity_id, const record*> newest;
    for (const auto& r : records) {
      auto& slot = newest[r.id];
      if (slot == nullptr || slot->version < r.version)
        slot = &r;
    }
    rocksdb::WriteBatch batch;
    std::vector<const record*> written;
    for (const auto& [id, rec] : newest) {
      auto stored = stored_version(*st.db, id);
      if (!stored) {
        result = std::move(stored.error());
        return;
      }
      if (*stored != no_version && *stored >= rec->version)
        continue;
      batch.Put(entity_key(id), encode_record(*rec));
      written.push_back(rec);
    }
    if (written.empty()) {
      result = size_t{0};
      return;
    }
    rocksdb::WriteOptions wo;
    wo.sync = true; // the map may flip to this node on the strength of it
    if (auto s = st.db->Write(wo, &batch); !s.ok()) {
      st.known.forget_all();
      st.note_forgetting();
      result = s.IsIOError()
                 ? make_error(errc::in_doubt, "install failed: " + s.ToString())
                 : detail::storage_error("install", s);
      return;
    }
    // As after a group: the committer must know what it wrote.
    for (const auto* rec : written)
      st.known.remember(*rec);
    st.note_forgetting();
    result = written.size();
  };
  if (!impl_->run_alone(job))
    return make_error(errc::closed, "the store is closed");
  return result;
}

} // namespace entact::storage
