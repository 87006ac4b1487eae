// partition::scan: one page of entity records in key order, from one snapshot.
// Entity keys are 'e' + id and metadata keys 'm' + name (record_codec.hpp),
// so the page's iterator is bounded to 'e' + prefix .. entity_keys_end:
// it never walks the store, and never meets a metadata key.

#include <algorithm>
#include <memory>

#include <rocksdb/iterator.h>
#include <rocksdb/snapshot.h>

#include "entact/errc.hpp"
#include "entact/saturating.hpp"
#include "entact/storage/record_codec.hpp"
#include "partition.hpp"
#include "status.hpp"
#include "partition_impl.hpp"

namespace entact::storage {

namespace {

// Tombstones a page passes over (without include_deleted) before it ends
// anyway, with the last one as its cursor: a page's work stays bounded
// even in a range of nothing but tombstones.
constexpr size_t max_skipped_tombstones = 65536;

/// The first key a page may hold: the prefix's first, or the least key
/// strictly after `after` ('e' + after + NUL: ids hold no NUL byte).
std::string first_key(const scan_request& req) {
  auto from = entity_key(req.prefix);
  if (!req.after.empty()) {
    auto past = entity_key(req.after);
    past.push_back('\0');
    from = std::max(from, past);
  }
  return from;
}

} // namespace

caf::expected<scan_page> partition::scan(const scan_request& req) const {
  const auto& lim = impl_->opts.limits;
  if (auto err = validate_scan(req, lim))
    return err;
  scan_page page;
  auto lower = first_key(req);
  auto upper = entity_keys_end(req.prefix);
  if (lower >= upper)
    return page; // `after` is past every id with the prefix
  // One snapshot per page: the page is one consistent state even while the
  // committer writes. The iterator goes before the snapshot is released.
  rocksdb::ManagedSnapshot snapshot{impl_->db.get()};
  rocksdb::Slice upper_bound{upper};
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot.snapshot();
  ro.iterate_upper_bound = &upper_bound;
  std::unique_ptr<rocksdb::Iterator> it{impl_->db->NewIterator(ro)};
  auto most = page_limit(req, lim);
  size_t reply_bytes = 0;
  size_t skipped = 0;
  for (it->Seek(lower); it->Valid(); it->Next()) {
    auto id = id_of_key(it->key().ToStringView());
    if (page.records.size() >= most) {
      page.next_after = page.records.back().id; // and `id` follows
      break;
    }
    auto rec = decode_record(id, it->value().ToStringView());
    if (!rec)
      return std::move(rec.error());
    if (rec->deleted && !req.include_deleted) {
      if (++skipped == max_skipped_tombstones) {
        page.next_after = std::string{id};
        break;
      }
      continue;
    }
    auto with = entact::detail::add_sat(
      reply_bytes, entact::detail::add_sat(id.size(), rec->value.size()));
    // A record alone always goes in (it fits unless written under larger
    // limits): every page makes progress.
    if (!page.records.empty() && with > lim.max_read_bytes) {
      page.next_after = page.records.back().id;
      break;
    }
    reply_bytes = with;
    page.records.push_back(std::move(*rec));
  }
  if (!it->status().ok())
    return detail::storage_error("scanning", it->status());
  return page;
}

} // namespace entact::storage

namespace entact::storage {

// Several partitions: a page of each, merged in id order. A partition
// whose page ended early (`next_after`) may hold ids past its cursor that
// sort before another partition's records, so the merged page stops at
// the least such cursor; past it nothing is returned, and that cursor (or
// the last record, for a page cut by its own bounds) is the next `after`.
caf::expected<scan_page> store::scan(const scan_request& req) const {
  if (impl_->parts.size() == 1)
    return impl_->parts.front()->scan(req);
  const auto& lim = impl_->opts.limits;
  if (auto err = validate_scan(req, lim))
    return err;
  std::vector<record> all;
  std::optional<entity_id> cutoff;
  for (const auto& p : impl_->parts) {
    auto page = p->scan(req);
    if (!page)
      return std::move(page.error());
    if (page->next_after && (!cutoff || *page->next_after < *cutoff))
      cutoff = page->next_after;
    for (auto& rec : page->records)
      all.push_back(std::move(rec));
  }
  std::sort(all.begin(), all.end(),
            [](const record& x, const record& y) { return x.id < y.id; });
  scan_page merged;
  auto most = page_limit(req, lim);
  size_t reply_bytes = 0;
  for (auto& rec : all) {
    if (cutoff && rec.id > *cutoff)
      break;
    auto with = entact::detail::add_sat(
      reply_bytes, entact::detail::add_sat(rec.id.size(), rec.value.size()));
    if (merged.records.size() >= most
        || (!merged.records.empty() && with > lim.max_read_bytes)) {
      merged.next_after = merged.records.back().id;
      return merged;
    }
    reply_bytes = with;
    merged.records.push_back(std::move(rec));
  }
  merged.next_after = cutoff;
  return merged;
}

} // namespace entact::storage
