#include "group_commit.hpp"

#include <algorithm>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include <caf/message.hpp>
#include <rocksdb/utilities/optimistic_transaction_db.h>
#include <rocksdb/utilities/transaction.h>

#include "entact/decide.hpp"
#include "entact/errc.hpp"
#include "entact/storage/record_codec.hpp"
#include "known_versions.hpp"
#include "prepared_set.hpp"
#include "span_holds.hpp"
#include "status.hpp"

namespace entact::storage::detail {

namespace {

using outcome = caf::expected<std::vector<record>>;

/// One try at committing a group: a fresh transaction, fresh reads.
class attempt {
public:
  /// Reads through an optimistic transaction (`begin_transaction`), or
  /// straight from `db` (`plain`) where the committer is the only writer.
  struct begin_transaction {
    bool sync;
  };
  struct plain {
    /// What the group written before this one (not yet durable) stores:
    /// decided against before anything known or read (or null).
    const overlay* in_flight;
  };

  attempt(rocksdb::OptimisticTransactionDB& db, begin_transaction how,
          const prepared_set& held, const span_holds& spans)
    : db_(db), held_(held), spans_(spans) {
    rocksdb::WriteOptions wo;
    wo.sync = how.sync;
    txn_.reset(db.BeginTransaction(wo));
  }

  attempt(rocksdb::OptimisticTransactionDB& db, plain how,
          const prepared_set& held, const span_holds& spans)
    : db_(db), held_(held), spans_(spans), in_flight_(how.in_flight) {
  }

  /// Learns the stored record of every id the group writes: from `known`
  /// (if given) where the committer already holds it, for the rest in one
  /// `MultiGetForUpdate` (one pass through RocksDB for the group instead of
  /// a `GetForUpdate` per op). Reading tracks those keys, so RocksDB still
  /// refuses the commit if anyone wrote one of them since; a known id is
  /// neither read nor tracked.
  void read_all(const std::vector<pending_batch>& group,
                const known_versions* known) {
    std::vector<const entity_id*> ids;
    std::vector<std::string> keys;
    for (const auto& batch : group)
      for (const auto& op : batch.ops) {
        if (stored_.count(op.id) != 0)
          continue;
        if (const auto* rec = staged_before(op.id)) {
          stored_.emplace(op.id, *rec);
          continue;
        }
        if (auto rec = known ? known->find(op.id) : std::nullopt) {
          stored_.emplace(op.id, std::move(*rec));
          without_value_.insert(op.id);
          continue;
        }
        stored_.emplace(op.id, record{});
        ids.push_back(&op.id);
        keys.push_back(entity_key(op.id));
      }
    ids_read_ = ids.size();
    if (ids.empty())
      return;
    std::vector<rocksdb::Slice> slices{keys.begin(), keys.end()};
    std::vector<std::string> values;
    auto statuses = txn_ ? txn_->MultiGetForUpdate(rocksdb::ReadOptions{},
                                                   slices, &values)
                         : db_.MultiGet(rocksdb::ReadOptions{}, slices, &values);
    for (size_t i = 0; i < ids.size(); ++i)
      stored_.insert_or_assign(*ids[i], decode(*ids[i], statuses[i], values[i]));
  }

  /// Decides `batch` by its role (`span_role`): a plain batch or a span's
  /// lead joins the overlay if every op passes, otherwise nothing of it
  /// does (all-or-nothing per batch); the other steps of a spanning batch
  /// as span_steps.cpp says.
  outcome stage(const pending_batch& batch) {
    switch (batch.role) {
      case span_role::hold:
        return stage_ops(batch.ops, batch.span, false);
      case span_role::apply:
        return stage_apply(batch);
      case span_role::forget:
        // Not synced for its own sake: an intent that outlives a crash is
        // finished again at open, writing nothing.
        deletes_.push_back(batch.intent_key);
        return std::vector<record>{};
      case span_role::lead: {
        auto result = stage_ops(batch.ops, 0, true);
        if (result) {
          puts_.emplace_back(batch.intent_key, batch.intent_value);
          span_steps_ = true;
        }
        return result;
      }
      case span_role::none:
        break;
    }
    return stage_ops(batch.ops, 0, true);
  }

  /// Decides every op of `ops` (for `span`, 0 for none); on success the
  /// records join the overlay (`merge`) or, for a hold, their ids are held.
  outcome stage_ops(const std::vector<write_op>& ops, uint64_t span,
                    bool merge) {
    overlay staged;
    std::vector<record> results;
    results.reserve(ops.size());
    for (const auto& op : ops) {
      if (auto err = refuse_held(op.id, span))
        return err;
      auto current = current_of(op.id, staged);
      if (!current)
        return std::move(current.error());
      auto next = decide(*current, op);
      if (!next && decided_on_known(op.id, staged)) {
        // A refusal carries the stored record: read the value it lacks
        // (rare: the entity's actor checked the version before) and decide
        // on what is stored.
        current = read_full(op.id);
        if (!current)
          return std::move(current.error());
        next = decide(*current, op);
      }
      if (!next)
        return std::move(next.error());
      staged[op.id] = *next;
      results.push_back(std::move(*next));
    }
    if (!merge) {
      for (const auto& [id, rec] : staged) {
        group_holds_.emplace(id, span);
        new_holds_.emplace_back(span, id);
      }
      return results;
    }
    for (auto& [id, rec] : staged)
      overlay_[id] = std::move(rec);
    return results;
  }

  /// A span's apply: the records its hold decided, written as they are
  /// (their ids were held since, so nothing changed them).
  outcome stage_apply(const pending_batch& batch) {
    for (const auto& rec : batch.records)
      if (span_of(rec.id) != batch.span)
        return make_error(errc::storage_failure,
                          rec.id + " is not held by the spanning batch "
                                   "applying it");
    if (batch.records.empty()) {
      // The span was refused: nothing to write, its ids free at once (for
      // the caller's next batch, which may follow in this very group).
      group_released_.insert(batch.span);
      released_now_.push_back(batch.span);
      return batch.records;
    }
    for (const auto& rec : batch.records)
      overlay_[rec.id] = rec;
    released_.push_back(batch.span);
    span_steps_ = true;
    return batch.records;
  }

  /// Remembers in `known` what this attempt learned and wrote, once its
  /// commit succeeded (or there was nothing to commit): the records read,
  /// then the newer ones written over them.
  void remember_in(known_versions& known) const {
    for (const auto& [id, rec] : stored_)
      if (rec && without_value_.count(id) == 0)
        known.remember(*rec);
    for (const auto& [id, rec] : overlay_)
      known.remember(rec);
  }

  size_t ids_read() const noexcept {
    return ids_read_;
  }

  size_t ids_known() const noexcept {
    return stored_.size() - ids_read_;
  }

  bool has_writes() const noexcept {
    return !overlay_.empty() || !puts_.empty() || !deletes_.empty();
  }

  /// Writes the overlay and commits once: one WAL write (and sync). The
  /// keys were tracked when read, so the writes need no tracking of their
  /// own. (Both together: committer CPU per write in groups of 50 down from
  /// about 21 to 17 us here; librocksdb 7.8's MultiGetForUpdate is still a
  /// Get per key, and the commit's conflict check reads every key again.)
  rocksdb::Status commit() {
    for (const auto& [id, rec] : overlay_) {
      auto s = txn_->PutUntracked(entity_key(id), encode_record(rec));
      if (!s.ok())
        return s;
    }
    for (const auto& [key, value] : puts_)
      if (auto s = txn_->PutUntracked(key, value); !s.ok())
        return s;
    for (const auto& key : deletes_)
      if (auto s = txn_->DeleteUntracked(key); !s.ok())
        return s;
    return txn_->Commit();
  }

  /// Hands what the group did to its span steps to `out`.
  template <class Result>
  void give_steps_to(Result& out) const {
    out.new_holds = new_holds_;
    out.released = released_;
    out.released_now = released_now_;
    out.span_steps = span_steps_;
  }

  /// Hands what the group decided to `out`: the outcomes, the records to
  /// write (also encoded into one `WriteBatch`) and those read.
  void give_to(decided_group& out) {
    for (const auto& [id, rec] : overlay_)
      out.batch.Put(entity_key(id), encode_record(rec));
    for (const auto& [key, value] : puts_)
      out.batch.Put(key, value);
    for (const auto& key : deletes_)
      out.batch.Delete(key);
    give_steps_to(out);
    for (auto& [id, rec] : stored_)
      if (rec && without_value_.count(id) == 0 && overlay_.count(id) == 0)
        out.read.push_back(std::move(*rec));
    out.writes = std::move(overlay_);
  }

private:
  // A prepared transaction's ids wait for its commit or abort: writing one
  // now would change what it was decided against.
  // So are a spanning batch's ids (but to that batch's own steps), and,
  // to another span's steps, the ids of batches waiting for a span.
  caf::error refuse_held(const entity_id& id, uint64_t own_span) const {
    if (!held_.none_held())
      if (auto txn = held_.holder_of(id))
        return make_error(errc::lock_timeout, id + " is held by prepared "
                                                "transaction " + *txn);
    if (auto span = span_of(id); (span != 0 && span != own_span)
                                 || waits(id))
      return span_held_error(id);
    return {};
  }

public:
  /// True if `batch` must wait: a batch of this partition alone if one of
  /// its ids is held by a span or named by a batch already waiting. Its
  /// ids then wait too (for the rest of the group).
  /// A span's hold or lead waits only for a younger span (a greater
  /// number) holding one of its ids, and is refused by an older one
  /// (wait-die: waits only ever go from older to younger, so they cannot
  /// form a cycle, and a span tried again keeps its number until it is the
  /// oldest).
  bool must_wait(const pending_batch& batch) {
    if (spans_.empty() && group_holds_.empty() && waiting_.empty())
      return false;
    bool wait = false;
    if (batch.role == span_role::none)
      wait = std::any_of(batch.ops.begin(), batch.ops.end(),
                         [this](const write_op& op) {
                           return span_of(op.id) != 0 || waits(op.id);
                         });
    else if (batch.role == span_role::hold || batch.role == span_role::lead)
      wait = std::any_of(batch.ops.begin(), batch.ops.end(),
                         [&](const write_op& op) {
                           auto holder = span_of(op.id);
                           return holder > batch.span;
                         });
    if (wait)
      for (const auto& op : batch.ops)
        waiting_.insert(op.id);
    return wait;
  }

private:
  bool waits(const entity_id& id) const {
    return spans_.waiting(id) || (!waiting_.empty() && waiting_.count(id));
  }

  // The span holding `id` (before this group or by one of its holds), 0
  // if none.
  uint64_t span_of(const entity_id& id) const {
    if (spans_.empty() && group_holds_.empty())
      return 0;
    // A hold of this group first: it may have taken an id that a release
    // earlier in the group freed.
    if (auto i = group_holds_.find(id); i != group_holds_.end())
      return i->second;
    auto span = spans_.holder_of(id);
    return group_released_.count(span) != 0 ? 0 : span;
  }

  static caf::expected<record> decode(const entity_id& id,
                                      const rocksdb::Status& s,
                                      const std::string& bytes) {
    if (s.IsNotFound())
      return record{id, no_version, {}, false};
    if (!s.ok())
      return storage_error("reading " + id, s);
    return decode_record(id, bytes);
  }

  // The record the group in flight writes for `id`, if it writes it.
  const record* staged_before(const entity_id& id) const {
    if (!in_flight_)
      return nullptr;
    auto i = in_flight_->find(id);
    return i == in_flight_->end() ? nullptr : &i->second;
  }

  // True if `current_of(id, staged)` is a record known without its value:
  // neither this batch nor an earlier one of the group wrote `id`.
  bool decided_on_known(const entity_id& id, const overlay& staged) const {
    return without_value_.count(id) != 0 && staged.count(id) == 0
           && overlay_.count(id) == 0;
  }

  // The stored record of `id`, value included, in place of the one known
  // without it.
  caf::expected<record> read_full(const entity_id& id) {
    std::string bytes;
    auto key = entity_key(id);
    auto s = txn_ ? txn_->GetForUpdate(rocksdb::ReadOptions{}, key, &bytes)
                  : db_.Get(rocksdb::ReadOptions{}, key, &bytes);
    auto rec = decode(id, s, bytes);
    stored_.insert_or_assign(id, rec);
    without_value_.erase(id);
    return rec;
  }

  // The newest record of `id` as this group sees it: the batch's own
  // earlier write, the group's earlier write, or the stored record (read by
  // `read_all`).
  caf::expected<record> current_of(const entity_id& id, const overlay& staged) {
    if (auto i = staged.find(id); i != staged.end())
      return i->second;
    if (auto i = overlay_.find(id); i != overlay_.end())
      return i->second;
    return stored_.at(id);
  }

  rocksdb::DB& db_;
  const prepared_set& held_;
  const span_holds& spans_;
  // Null when reading straight from `db_`.
  std::unique_ptr<rocksdb::Transaction> txn_;
  const overlay* in_flight_ = nullptr;
  /// The stored record (or the error reading it) of every id of the group.
  std::unordered_map<entity_id, caf::expected<record>> stored_;
  /// Ids of `stored_` taken from `known_versions`: version and deletion
  /// mark only, the value left empty.
  std::unordered_set<entity_id> without_value_;
  size_t ids_read_ = 0;
  overlay overlay_;
  // Span steps: holds taken by this group, spans it applies, the intents
  // it writes and deletes.
  std::unordered_map<entity_id, uint64_t> group_holds_;
  std::vector<std::pair<uint64_t, entity_id>> new_holds_;
  std::vector<uint64_t> released_;
  std::vector<uint64_t> released_now_;
  std::unordered_set<uint64_t> group_released_;
  // Ids of this group's batches that wait for a span.
  std::unordered_set<entity_id> waiting_;
  std::vector<std::pair<std::string, std::string>> puts_;
  std::vector<std::string> deletes_;
  bool span_steps_ = false;
};

// Decides every batch of `group` in order; returns how many the version
// rule refused.
uint64_t stage_all(attempt& txn, const std::vector<pending_batch>& group,
                   std::vector<outcome>& outcomes,
                   std::vector<size_t>& waiting) {
  uint64_t refused = 0;
  outcomes.clear();
  waiting.clear();
  for (size_t i = 0; i < group.size(); ++i) {
    const auto& batch = group[i];
    if (txn.must_wait(batch)) {
      // Not decided: set aside until the span frees its ids (never
      // answered with this placeholder).
      outcomes.push_back(make_error(errc::lock_timeout, "waiting"));
      waiting.push_back(i);
      continue;
    }
    outcomes.push_back(txn.stage(batch));
    const auto& last = outcomes.back();
    // A failed read is the storage's fault, not the batch's: not a refusal.
    if (!last && code_of(last.error()) != errc::storage_failure)
      ++refused;
  }
  return refused;
}

} // namespace

namespace {

constexpr std::string_view span_held_text
  = " is held by a batch spanning partitions";

} // namespace

caf::error span_held_error(const entity_id& id) {
  return make_error(errc::lock_timeout, id + std::string{span_held_text});
}

bool is_span_held(const caf::error& err) {
  if (!err || code_of(err) != errc::lock_timeout)
    return false;
  const auto& ctx = err.context();
  if (ctx.size() != 1 || !ctx.match_element<std::string>(0))
    return false;
  const auto& text = ctx.get_as<std::string>(0);
  return text.size() >= span_held_text.size()
         && text.compare(text.size() - span_held_text.size(),
                         span_held_text.size(), span_held_text)
              == 0;
}

// With sync on, an I/O error during commit may come after the WAL record
// reached the disk: the outcome is unknown. Everything else left no trace.
caf::error commit_error(const rocksdb::Status& s, bool sync) {
  if (sync && s.IsIOError())
    return make_error(errc::in_doubt, "commit failed: " + s.ToString());
  return storage_error("commit failed", s);
}

void fail_staged(std::vector<outcome>& outcomes, const caf::error& err) {
  for (auto& x : outcomes)
    if (x)
      x = err;
}

decided_group decide_group(rocksdb::OptimisticTransactionDB& db,
                           const std::vector<pending_batch>& group,
                           const overlay* in_flight,
                           const known_versions* known,
                           const prepared_set& held,
                           const span_holds& spans) {
  decided_group result;
  attempt txn{db, attempt::plain{in_flight}, held, spans};
  txn.read_all(group, known);
  result.ids_read = txn.ids_read();
  result.ids_known = txn.ids_known();
  result.refused = stage_all(txn, group, result.outcomes, result.waiting);
  txn.give_to(result);
  return result;
}

group_result commit_group(rocksdb::OptimisticTransactionDB& db, bool sync,
                          const std::vector<pending_batch>& group,
                          const std::function<void()>& before_commit,
                          known_versions* known, const prepared_set& held,
                          const span_holds& spans) {
  group_result result;
  // A span's steps are synced whatever `sync` says (span_steps.cpp).
  bool steps = std::any_of(group.begin(), group.end(), [](const auto& b) {
    return b.role != span_role::none;
  });
  for (int i = 0; i < max_group_attempts; ++i) {
    attempt txn{db, attempt::begin_transaction{sync || steps}, held, spans};
    txn.read_all(group, known);
    result.ids_read += txn.ids_read();
    result.ids_known += txn.ids_known();
    result.refused = stage_all(txn, group, result.outcomes, result.waiting);
    txn.give_steps_to(result);
    if (!txn.has_writes()) {
      if (known)
        txn.remember_in(*known);
      return result;
    }
    if (before_commit)
      before_commit();
    auto s = txn.commit();
    if (s.ok()) {
      result.committed = true;
      if (known)
        txn.remember_in(*known);
      return result;
    }
    // Busy: a write from outside, so what the committer knew may be stale
    // too; any other failure leaves the stored state unknown.
    if (known)
      known->forget_all();
    if (!s.IsBusy() && !s.IsTryAgain()) {
      fail_staged(result.outcomes, commit_error(s, sync || steps));
      result.write_failed = true;
      return result;
    }
    ++result.retries;
  }
  fail_staged(result.outcomes,
              make_error(errc::storage_failure,
                         "commit kept conflicting with outside writes after "
                           + std::to_string(max_group_attempts) + " tries"));
  result.write_failed = true;
  return result;
}

} // namespace entact::storage::detail
