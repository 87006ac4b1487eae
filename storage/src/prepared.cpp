// Prepared transactions at one participant (README, "Two-phase commit:
// storage"). Each step is one atomic, synced RocksDB write made on the
// committer thread between groups (`run_alone`): the committer is the
// store's only writer, so the stored records a step reads stay what it
// decides against until its write lands, and no group can slip in between.
// Held ids then keep groups and other prepares off until the resolution.

#include <algorithm>
#include <future>
#include <map>
#include <unordered_map>

#include <caf/message.hpp>
#include <rocksdb/write_batch.h>

#include "entact/decide.hpp"
#include "entact/errc.hpp"
#include "entact/storage/record_codec.hpp"
#include "partition.hpp"
#include "group_commit.hpp"
#include "prepared_codec.hpp"
#include "status.hpp"
#include "partition_impl.hpp"
#include "twopc_write.hpp"
#include "write_fence.hpp"

namespace entact::storage {

namespace {

using records = std::vector<record>;

caf::error closed_error() {
  return make_error(errc::closed, "the store is closed");
}

caf::error unknown_txn(const std::string& txn) {
  return make_error(errc::unknown_transaction,
                    "transaction " + txn
                      + " is not prepared here (unknown, or already "
                        "committed or aborted)");
}

// Checked before the request costs the committer anything.
caf::error validate_request(const prepare_request& req,
                            const store_options& opts) {
  if (auto err = validate_txn_id(req.txn))
    return err;
  if (auto err = validate_participants(req.participants, req.decision_holder))
    return err;
  if (req.ops.empty())
    return make_error(errc::invalid_argument, "a prepare needs writes");
  if (req.ops.size() > opts.max_prepared_writes)
    return make_error(errc::too_large,
                      std::to_string(req.ops.size())
                        + " writes in one prepared transaction, limit is "
                        + std::to_string(opts.max_prepared_writes));
  for (const auto& op : req.ops)
    if (auto err = validate(op, opts.limits))
      return err;
  return {};
}

bool same_ops(const prepared_txn& t, const std::vector<write_op>& ops) {
  if (t.writes.size() != ops.size())
    return false;
  for (size_t i = 0; i < ops.size(); ++i)
    if (!(t.writes[i] == prepared_write{ops[i], t.writes[i].base_version}))
      return false;
  return true;
}

// The stored record of every id `ops` name, read directly: this runs on the
// committer between groups, so nothing changes them meanwhile.
caf::expected<std::unordered_map<entity_id, record>>
read_stored(rocksdb::DB& db, const std::vector<write_op>& ops) {
  std::unordered_map<entity_id, record> stored;
  for (const auto& op : ops) {
    if (stored.count(op.id) != 0)
      continue;
    std::string bytes;
    auto s = db.Get(rocksdb::ReadOptions{}, entity_key(op.id), &bytes);
    if (s.IsNotFound()) {
      stored.emplace(op.id, record{op.id, no_version, {}, false});
      continue;
    }
    if (!s.ok())
      return detail::storage_error("reading " + op.id, s);
    auto rec = decode_record(op.id, bytes);
    if (!rec)
      return std::move(rec.error());
    stored.emplace(op.id, std::move(*rec));
  }
  return stored;
}

/// Decides `ops` in order against `stored` (a later op on one id sees the
/// earlier one), as a group commit decides a batch: the new records and, per
/// op, the version it was decided against.
struct decided {
  records next;
  std::vector<version_t> bases;
};

caf::expected<decided>
decide_all(const std::vector<write_op>& ops,
           std::unordered_map<entity_id, record> current) {
  decided result;
  for (const auto& op : ops) {
    auto& cur = current.at(op.id);
    auto next = decide(cur, op);
    if (!next)
      return std::move(next.error());
    result.bases.push_back(cur.version);
    cur = *next;
    result.next.push_back(std::move(*next));
  }
  return result;
}

std::vector<write_op> ops_of(const prepared_txn& t) {
  std::vector<write_op> ops;
  for (const auto& w : t.writes)
    ops.push_back(w.op);
  return ops;
}

} // namespace

caf::expected<prepared_txn>
partition::impl::prepare_now(const prepare_request& req) {
  if (auto existing = prepared.find(req.txn)) {
    if (same_ops(*existing, req.ops))
      return *existing;
    return make_error(errc::invalid_argument,
                      "transaction " + req.txn
                        + " is already prepared with other writes");
  }
  if (prepared.size() >= opts.max_prepared)
    return make_error(errc::too_large,
                      std::to_string(opts.max_prepared)
                        + " transactions are prepared already (the limit)");
  for (const auto& op : req.ops)
    if (auto holder = prepared.holder_of(op.id))
      return make_error(errc::lock_timeout, op.id
                                              + " is held by prepared "
                                                "transaction "
                                              + *holder);
  for (const auto& op : req.ops)
    if (spans.holder_of(op.id) != 0)
      return detail::span_held_error(op.id);
  if (auto err = detail::fenced_error(fence, req.ops))
    return err;
  auto stored = read_stored(*db, req.ops);
  if (!stored)
    return std::move(stored.error());
  auto result = decide_all(req.ops, std::move(*stored));
  if (!result)
    return std::move(result.error());
  prepared_txn t{req.txn, {}, req.participants, req.decision_holder,
                 detail::now_ms()};
  for (size_t i = 0; i < req.ops.size(); ++i)
    t.writes.push_back(prepared_write{req.ops[i], result->bases[i]});
  auto bytes = detail::encode_prepared(t);
  if (!bytes)
    return std::move(bytes.error());
  // Prepared records stay in memory until resolved: their total is bounded.
  auto room = opts.max_prepared_bytes
              - std::min(opts.max_prepared_bytes, prepared.bytes());
  if (bytes->size() > room)
    return make_error(errc::too_large,
                      "a prepared record of " + std::to_string(bytes->size())
                        + " bytes beside the "
                        + std::to_string(prepared.bytes())
                        + " prepared already passes the limit of "
                        + std::to_string(opts.max_prepared_bytes));
  rocksdb::WriteBatch batch;
  if (auto s = batch.Put(prepared_key(t.txn), *bytes); !s.ok())
    return detail::storage_error("staging a prepare", s);
  if (auto err = detail::write_twopc(*db, batch, "prepare"))
    return err;
  prepared.add(t, bytes->size());
  return t;
}

caf::expected<records>
partition::impl::commit_prepared_now(const std::string& txn, bool as_decision) {
  auto t = prepared.find(txn);
  if (!t)
    return unknown_txn(txn);
  auto ops = ops_of(*t);
  auto stored = read_stored(*db, ops);
  if (!stored)
    return std::move(stored.error());
  // The ids were held since the prepare: the same decisions on the same
  // versions. Anything else means a write behind the store's back.
  auto result = decide_all(ops, std::move(*stored));
  if (!result || result->bases.size() != t->writes.size())
    return make_error(errc::storage_failure,
                      "transaction " + txn
                        + " no longer applies: its ids changed behind the "
                          "store's back");
  for (size_t i = 0; i < t->writes.size(); ++i)
    if (result->bases[i] != t->writes[i].base_version)
      return make_error(errc::storage_failure,
                        "transaction " + txn + " was prepared on version "
                          + std::to_string(t->writes[i].base_version) + " of "
                          + t->writes[i].op.id + ", which is now at "
                          + std::to_string(result->bases[i]));
  rocksdb::WriteBatch batch;
  for (const auto& rec : result->next)
    batch.Put(entity_key(rec.id), encode_record(rec));
  batch.Delete(prepared_key(txn));
  if (as_decision) {
    std::string bytes;
    auto s = db->Get(rocksdb::ReadOptions{}, decision_key(txn), &bytes);
    if (s.ok()) {
      auto d = detail::decode_decision(txn, bytes);
      if (!d)
        return std::move(d.error());
      if (d->outcome != decision::commit)
        return make_error(errc::invalid_argument,
                          "transaction " + txn + " is decided abort");
    } else if (!s.IsNotFound()) {
      return detail::storage_error("reading a decision", s);
    }
    auto record = detail::encode_decision(
      detail::decision_record{decision::commit, t->participants,
                              detail::now_ms()});
    if (!record)
      return std::move(record.error());
    batch.Put(decision_key(txn), *record);
  }
  if (auto err = detail::write_twopc(*db, batch, "commit of a prepared "
                                                 "transaction")) {
    known.forget_all(); // in doubt: what is stored is unknown
    note_forgetting();
    return err;
  }
  prepared.remove(txn);
  // The committer must know what it wrote, as after a group.
  for (const auto& rec : result->next)
    known.remember(rec);
  note_forgetting();
  ++batches_committed;
  writes_committed += result->next.size();
  if (opts.on_commit)
    opts.on_commit(result->next);
  return std::move(result->next);
}

caf::error partition::impl::abort_prepared_now(const std::string& txn) {
  if (!prepared.find(txn))
    return unknown_txn(txn);
  rocksdb::WriteBatch batch;
  batch.Delete(prepared_key(txn));
  if (auto err = detail::write_twopc(*db, batch, "abort of a prepared "
                                                 "transaction"))
    return err;
  prepared.remove(txn);
  return {};
}

caf::error partition::impl::load_prepared() {
  auto first = prepared_key("");
  auto end = std::string{"q"}; // the least key after every 'p' key
  rocksdb::Slice upper{end};
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it{db->NewIterator(ro)};
  for (it->Seek(first); it->Valid(); it->Next()) {
    auto txn = it->key().ToString().substr(1);
    auto bytes = it->value().size();
    auto t = detail::decode_prepared(txn, it->value().ToStringView());
    auto refuse = [&](const std::string& why) {
      return make_error(errc::storage_failure,
                        why + "; refusing to open " + opts.path
                          + " (its data was not changed): a prepared vote is "
                            "never dropped silently");
    };
    if (!t)
      return refuse(render_error(t.error().code(), t.error().category(),
                                 t.error().context()));
    for (const auto& w : t->writes)
      if (auto holder = prepared.holder_of(w.op.id); holder && *holder != txn)
        return refuse("prepared transactions " + *holder + " and " + txn
                      + " both hold " + w.op.id);
    prepared.add(std::move(*t), bytes);
  }
  if (!it->status().ok())
    return detail::storage_error("listing prepared transactions",
                                 it->status());
  return {};
}

caf::expected<prepared_txn> partition::prepare(prepare_request req) {
  if (auto err = validate_request(req, impl_->opts))
    return err;
  caf::expected<prepared_txn> result = closed_error();
  if (!impl_->run_alone([&] { result = impl_->prepare_now(req); }))
    return closed_error();
  return result;
}

caf::expected<records> partition::commit_prepared(std::string_view txn) {
  if (auto err = validate_txn_id(txn))
    return err;
  caf::expected<records> result = closed_error();
  std::string id{txn};
  if (!impl_->run_alone(
        [&] { result = impl_->commit_prepared_now(id, false); }))
    return closed_error();
  return result;
}

caf::expected<records>
partition::commit_prepared_as_decision(std::string_view txn) {
  if (auto err = validate_txn_id(txn))
    return err;
  caf::expected<records> result = closed_error();
  std::string id{txn};
  if (!impl_->run_alone([&] { result = impl_->commit_prepared_now(id, true); }))
    return closed_error();
  return result;
}

caf::error partition::abort_prepared(std::string_view txn) {
  if (auto err = validate_txn_id(txn))
    return err;
  caf::error result;
  std::string id{txn};
  if (!impl_->run_alone([&] { result = impl_->abort_prepared_now(id); }))
    return closed_error();
  return result;
}

std::vector<prepared_txn> partition::prepared() const {
  return impl_->prepared.list();
}

} // namespace entact::storage
