// Decision records, kept by a transaction's decision holder (README,
// "Two-phase commit: storage"): one durable outcome per transaction, never
// changed once written, deleted when every participant has acknowledged.
// Written on the committer thread like every other write of the store.

#include <algorithm>
#include <memory>

#include <rocksdb/iterator.h>
#include <rocksdb/write_batch.h>

#include "entact/errc.hpp"
#include "partition.hpp"
#include "prepared_codec.hpp"
#include "status.hpp"
#include "partition_impl.hpp"
#include "twopc_write.hpp"

namespace entact::storage {

namespace {

caf::error closed_error() {
  return make_error(errc::closed, "the store is closed");
}

// The decision stored for `txn`, `none` if there is none.
caf::expected<decision> stored_decision(rocksdb::DB& db,
                                        const std::string& txn) {
  std::string bytes;
  auto s = db.Get(rocksdb::ReadOptions{}, decision_key(txn), &bytes);
  if (s.IsNotFound())
    return decision::none;
  if (!s.ok())
    return detail::storage_error("reading the decision of " + txn, s);
  auto d = detail::decode_decision(txn, bytes);
  if (!d)
    return std::move(d.error());
  return d->outcome;
}

// Decision keys are 'd' + txn: every one sorts before this.
const std::string decision_keys_end{"e"};

} // namespace

caf::error partition::impl::record_decision_now(
  const std::string& txn, decision d, std::vector<std::string> participants) {
  auto existing = stored_decision(*db, txn);
  if (!existing)
    return std::move(existing.error());
  if (*existing == d)
    return {};
  if (*existing != decision::none)
    return make_error(errc::invalid_argument,
                      "transaction " + txn + " is already decided "
                        + to_string(*existing));
  auto bytes = detail::encode_decision(
    detail::decision_record{d, std::move(participants), detail::now_ms()});
  if (!bytes)
    return std::move(bytes.error());
  rocksdb::WriteBatch batch;
  batch.Put(decision_key(txn), *bytes);
  return detail::write_twopc(*db, batch, "recording a decision");
}

caf::error partition::impl::forget_decision_now(const std::string& txn) {
  auto existing = stored_decision(*db, txn);
  if (!existing)
    return std::move(existing.error());
  if (*existing == decision::none)
    return make_error(errc::unknown_transaction,
                      "no decision is recorded for transaction " + txn);
  rocksdb::WriteBatch batch;
  batch.Delete(decision_key(txn));
  return detail::write_twopc(*db, batch, "forgetting a decision");
}

caf::error partition::record_decision(std::string_view txn, decision d,
                                  std::vector<std::string> participants) {
  if (auto err = validate_txn_id(txn))
    return err;
  if (d != decision::commit && d != decision::abort)
    return make_error(errc::invalid_argument,
                      "a decision is commit or abort");
  // The holder is not part of a decision record: the participants are.
  if (participants.empty())
    return make_error(errc::invalid_argument, "a decision needs participants");
  if (auto err = validate_participants(participants, "-"))
    return err;
  caf::error result;
  std::string id{txn};
  if (!impl_->run_alone([&] {
        result = impl_->record_decision_now(id, d, std::move(participants));
      }))
    return closed_error();
  return result;
}

caf::expected<decision> partition::decision_of(std::string_view txn) const {
  if (auto err = validate_txn_id(txn))
    return err;
  return stored_decision(*impl_->db, std::string{txn});
}

caf::error partition::forget_decision(std::string_view txn) {
  if (auto err = validate_txn_id(txn))
    return err;
  caf::error result;
  std::string id{txn};
  if (!impl_->run_alone([&] { result = impl_->forget_decision_now(id); }))
    return closed_error();
  return result;
}

caf::expected<std::vector<decision_info>>
partition::decisions(std::string_view after, size_t limit) const {
  if (limit == 0)
    return make_error(errc::invalid_argument, "a page of decisions needs a "
                                              "limit of at least 1");
  if (!after.empty())
    if (auto err = validate_txn_id(after))
      return err;
  limit = std::min(limit, max_decisions_listed);
  // The least key strictly after 'd' + after (txn ids hold no NUL byte).
  auto from = decision_key(after);
  if (!after.empty())
    from.push_back('\0');
  rocksdb::Slice upper{decision_keys_end};
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it{impl_->db->NewIterator(ro)};
  std::vector<decision_info> page;
  for (it->Seek(from); it->Valid() && page.size() < limit; it->Next()) {
    auto key = it->key().ToStringView();
    auto txn = key.substr(1);
    auto d = detail::decode_decision(txn, it->value().ToStringView());
    if (!d)
      return std::move(d.error());
    page.push_back(decision_info{std::string{txn}, d->outcome,
                                 std::move(d->participants), d->created_ms});
  }
  if (!it->status().ok())
    return detail::storage_error("listing decisions", it->status());
  return page;
}

caf::expected<uint64_t> partition::decision_count() const {
  rocksdb::Slice upper{decision_keys_end};
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it{impl_->db->NewIterator(ro)};
  uint64_t n = 0;
  for (it->Seek(decision_key("")); it->Valid(); it->Next())
    ++n;
  if (!it->status().ok())
    return detail::storage_error("counting decisions", it->status());
  return n;
}

} // namespace entact::storage
