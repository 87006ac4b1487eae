#include "txn/txn_actor.hpp"

#include <algorithm>
#include <memory>
#include <set>
#include <utility>

#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "entact/conflict.hpp"
#include "entact/errc.hpp"
#include "entact/storage/store.hpp"

namespace entact::detail {

namespace {

using txn_self = txn_actor::stateful_pointer<txn_state>;
using records = std::vector<record>;

/// True while transaction `id` runs on this actor: anything else is for a
/// transaction that ended here (or never began here).
bool runs_txn(const txn_state& st, txn_id id) {
  return st.running && st.handle.id == id;
}

/// The entity side holds a lock a little longer than the transaction's own
/// lease: the transaction ends first and releases; the entity's lease is
/// only the backstop for a transaction that vanished.
constexpr auto entity_lease_margin = std::chrono::seconds{1};

/// Releases every lock, publishing `published` records where given.
void release_all(txn_self self, const txn_context* ctx,
                 const std::map<entity_id, record>& published = {}) {
  auto& st = self->state;
  if (!ctx->router)
    return; // the engine is closing: its entities are gone with their locks
  auto release = [&](const entity_id& id) {
    auto i = published.find(id);
    self->send(ctx->router, release_atom::value, id, st.handle.id,
               i != published.end() ? i->second : record{});
  };
  for (auto& kvp : st.locked)
    release(kvp.first);
  // A lock request still under way may be granted after all: release it.
  for (auto& id : st.to_lock)
    if (st.locked.count(id) == 0)
      release(id);
}

/// Counts how the transaction ended (`errc::none`: committed), once.
void count_end(txn_self self, const txn_context* ctx, errc code) {
  auto& st = self->state;
  if (st.counted)
    return;
  st.counted = true;
  if (code == errc::none)
    ++ctx->committed;
  else if (static_cast<size_t>(code) < ctx->aborted.size())
    ++ctx->aborted[static_cast<size_t>(code)];
}

/// Tells the coordinator that the transaction ended, before any answer
/// that says so: the caller may retry at once, and its retry must find this
/// attempt ended (messages from one actor to another keep their order).
void tell_ended(txn_self self, bool committed) {
  auto& st = self->state;
  if (st.told_ended)
    return;
  st.told_ended = true;
  self->send(st.coordinator, ended_atom::value, st.handle.id, committed);
}

/// Becomes idle, dropping the monitor of the owner first: CAF 0.17 keeps a
/// monitor on the observed actor until that actor ends, and an owner (a
/// gateway, or a remote client's proxy) outlives many thousands of
/// transactions -- each left monitor held a transaction's memory (1.4 KB
/// per transaction, for as long as the owner lived). Answers still on
/// their way for the ended transaction find it gone (`runs_txn`).
void finish(txn_self self) {
  auto& st = self->state;
  if (st.owner)
    self->demonitor(st.owner);
  auto coordinator = std::move(st.coordinator);
  st = txn_state{};
  st.coordinator = std::move(coordinator);
}

/// Ends the transaction without writing: answers the call under way with
/// `err` and quits.
void end(txn_self self, const txn_context* ctx, caf::error err) {
  count_end(self, ctx, code_of(err));
  release_all(self, ctx);
  tell_ended(self, false);
  if (self->state.call.pending())
    self->state.call.deliver(std::move(err));
  finish(self);
}

caf::error check_call(const txn_state& st) {
  if (st.now != txn_state::phase::active)
    return make_error(errc::invalid_argument, "another call is under way");
  return {};
}

/// A refused call ends the transaction -- unless its commit is under way,
/// which storage decides: the caller learns why and the locks go, so a
/// client that gives up after an error leaves nothing behind.
caf::result<records> refuse(txn_self self, const txn_context* ctx,
                            caf::error err) {
  if (self->state.now == txn_state::phase::committing
      || self->state.now == txn_state::phase::preparing)
    return err;
  tell_ended(self, false);
  auto rp = self->make_response_promise<records>();
  rp.deliver(err);
  end(self, ctx, std::move(err)); // also answers a lock call under way
  return rp;
}

records in_order(const std::map<entity_id, record>& recs,
                 const std::vector<entity_id>& ids) {
  records result;
  result.reserve(ids.size());
  for (auto& id : ids)
    result.push_back(recs.at(id));
  return result;
}

void locked_all(txn_self self) {
  auto& st = self->state;
  st.now = txn_state::phase::active;
  st.to_lock.clear();
  st.call.deliver(in_order(st.locked, st.requested));
}

/// Requests every lock at once: wait-die alone keeps that deadlock-free
/// (only older transactions wait, so no cycle of waits can form), and the
/// waits overlap instead of adding up. The entity answers by the lock_wait
/// deadline, and the lease ends the transaction should an answer never
/// come, so the requests need no timeout of their own.
void lock_all(txn_self self, const txn_context* ctx) {
  auto& st = self->state;
  if (st.to_lock.empty()) {
    locked_all(self);
    return;
  }
  lock_request req{st.handle.id, st.handle.age, st.opts.lock_wait,
                   st.opts.lease + entity_lease_margin};
  st.awaiting = st.to_lock.size();
  auto tid = st.handle.id;
  for (auto& id : st.to_lock)
    self->request(ctx->router, caf::infinite, lock_atom::value, id, req)
      .then(
        [self, id, tid](record& r) {
          // Granted after the transaction ended: its release is on its way
          // to the entity behind this answer.
          if (!runs_txn(self->state, tid))
            return;
          self->state.locked.emplace(id, std::move(r));
          if (--self->state.awaiting == 0)
            locked_all(self);
        },
        [self, ctx, tid](caf::error& err) {
          if (runs_txn(self->state, tid))
            end(self, ctx, normalize(err));
        });
}

caf::error check_lock_ids(const txn_state& st, const txn_context* ctx,
                          const std::vector<entity_id>& ids) {
  if (ids.empty())
    return make_error(errc::invalid_argument, "no entities to lock");
  std::set<entity_id> unique;
  for (auto& id : ids) {
    if (auto err = validate_id(id, ctx->limits))
      return err;
    if (!unique.insert(id).second)
      return make_error(errc::invalid_argument, "duplicate id " + id);
  }
  size_t fresh = std::count_if(ids.begin(), ids.end(), [&](auto& id) {
    return st.locked.count(id) == 0;
  });
  if (st.locked.size() + fresh > ctx->max_entities)
    return make_error(errc::too_large,
                      "a transaction locks at most "
                        + std::to_string(ctx->max_entities) + " entities");
  return {};
}

caf::result<records> lock(txn_self self, const txn_context* ctx,
                          std::vector<entity_id> ids) {
  auto& st = self->state;
  if (auto err = check_call(st))
    return refuse(self, ctx, std::move(err));
  if (auto err = check_lock_ids(st, ctx, ids))
    return refuse(self, ctx, std::move(err));
  st.to_lock.clear();
  for (auto& id : ids)
    if (st.locked.count(id) == 0)
      st.to_lock.push_back(id);
  st.requested = std::move(ids);
  st.now = txn_state::phase::locking;
  st.call = self->make_response_promise<records>();
  auto rp = st.call;
  lock_all(self, ctx);
  return rp;
}

/// Turns the caller's writes into versioned ops against the records read
/// under the locks.
caf::expected<std::vector<write_op>>
make_ops(const txn_state& st, const txn_context* ctx,
         const std::vector<txn_write>& writes) {
  std::vector<write_op> ops;
  std::set<entity_id> seen;
  for (auto& w : writes) {
    auto i = st.locked.find(w.id);
    if (i == st.locked.end())
      return make_error(errc::invalid_argument, w.id + " is not locked");
    if (!seen.insert(w.id).second)
      return make_error(errc::invalid_argument, "two writes to " + w.id);
    const auto& base = i->second;
    if (w.erase)
      ops.push_back(write_op::erase(w.id, base.version));
    else if (base.exists())
      ops.push_back(write_op::update(w.id, base.version, w.value));
    else
      ops.push_back(write_op::create(w.id, w.value));
    if (auto err = validate(ops.back(), ctx->limits))
      return err;
  }
  return ops;
}

caf::result<records> commit(txn_self self, const txn_context* ctx,
                            const std::vector<txn_write>& writes) {
  auto& st = self->state;
  if (auto err = check_call(st))
    return refuse(self, ctx, std::move(err));
  auto ops = make_ops(st, ctx, writes);
  if (!ops)
    return refuse(self, ctx, std::move(ops.error()));
  if (ops->empty()) {
    count_end(self, ctx, errc::none);
    release_all(self, ctx);
    tell_ended(self, true); // nothing to write: done, as if committed
    finish(self);
    return records{};
  }
  st.now = txn_state::phase::committing;
  for (auto& op : *ops)
    st.written.push_back(op.id);
  st.call = self->make_response_promise<records>();
  auto me = caf::actor_cast<txn_actor>(self);
  auto tid = st.handle.id;
  ctx->store->commit_async(std::move(*ops),
                           [me, tid](caf::expected<records> res) {
                             if (res)
                               caf::anon_send(me, done_atom::value, tid,
                                              std::move(*res));
                             else
                               caf::anon_send(me, done_atom::value, tid,
                                              std::move(res.error()));
                           });
  return st.call;
}

void committed(txn_self self, const txn_context* ctx, records& recs) {
  std::map<entity_id, record> published;
  for (auto& r : recs)
    published.emplace(r.id, r);
  count_end(self, ctx, errc::none);
  release_all(self, ctx, published);
  tell_ended(self, true);
  self->state.call.deliver(std::move(recs));
  finish(self);
}

void refused(txn_self self, const txn_context* ctx, caf::error& err) {
  // A conflict means storage changed behind the locks (a write from outside
  // entact, or after a lease ran out): let the entity learn the record.
  std::map<entity_id, record> published;
  if (auto c = conflict_of(err))
    published.emplace(c->id, c->stored);
  count_end(self, ctx, code_of(err));
  release_all(self, ctx, published);
  // In doubt, it may have committed: no retry may keep its age.
  tell_ended(self, code_of(err) == errc::in_doubt);
  self->state.call.deliver(std::move(err));
  finish(self);
}

/// True while storage decides how the transaction ends: neither its
/// lease, nor its owner's death, nor `abort` may end it then.
bool deciding(const txn_state& st) {
  return st.now == txn_state::phase::committing
         || st.now == txn_state::phase::preparing;
}

/// The prepare was refused (or its locks could not be made a prepared
/// transaction's): it ends as a refused commit does.
void vote_refused(txn_self self, const txn_context* ctx, caf::error err) {
  auto& st = self->state;
  if (!st.vote.pending())
    return;
  std::map<entity_id, record> published;
  if (auto c = conflict_of(err))
    published.emplace(c->id, c->stored);
  count_end(self, ctx, code_of(err));
  release_all(self, ctx, published);
  // In doubt, the vote may be durable: no retry may keep its age.
  tell_ended(self, code_of(err) == errc::in_doubt);
  st.vote.deliver(std::move(err));
  finish(self);
}

/// Prepared: the prepared table holds the written ids from now on, under
/// this transaction's id. The ids only read are released: the transaction
/// reads nothing more, so keeping them would only block others.
void voted(txn_self self, const txn_context* ctx) {
  auto& st = self->state;
  std::set<entity_id> written(st.written.begin(), st.written.end());
  for (auto& kvp : st.locked)
    if (written.count(kvp.first) == 0)
      self->send(ctx->router, release_atom::value, kvp.first, st.handle.id,
                 record{});
  st.counted = true; // neither committed nor aborted: its decision tells
  tell_ended(self, true);
  st.vote.deliver(true);
  finish(self);
}

void hand_over(txn_self self, const txn_context* ctx, prepare_handover job) {
  auto tid = self->state.handle.id;
  self->request(ctx->prepared, caf::infinite, prepare_atom::value,
                std::move(job))
    .then(
      [self, ctx, tid](bool) {
        if (runs_txn(self->state, tid))
          voted(self, ctx);
      },
      [self, ctx, tid](caf::error& err) {
        if (runs_txn(self->state, tid))
          vote_refused(self, ctx, normalize(err));
      });
}

/// Makes the locks of the written ids a prepared transaction's (oldest
/// age, lease in effect none) before storage makes the vote durable, so
/// that from the vote on every other call meeting them is refused at once.
void relock_then_prepare(txn_self self, const txn_context* ctx,
                         prepare_handover job) {
  auto& st = self->state;
  lock_request req{st.handle.id, prepared_age, st.opts.lock_wait,
                   prepared_lease};
  st.awaiting = st.written.size();
  auto shared = std::make_shared<prepare_handover>(std::move(job));
  auto tid = st.handle.id;
  for (auto& id : st.written)
    self->request(ctx->router, caf::infinite, lock_atom::value, id, req)
      .then(
        [self, ctx, shared, tid](record&) {
          if (runs_txn(self->state, tid) && --self->state.awaiting == 0)
            hand_over(self, ctx, std::move(*shared));
        },
        [self, ctx, tid](caf::error& err) {
          if (runs_txn(self->state, tid))
            vote_refused(self, ctx, normalize(err));
        });
}

caf::error check_prepare(const txn_prepare& p) {
  if (auto err = storage::validate_txn_id(p.name))
    return err;
  return storage::validate_participants(p.participants, p.decision_holder);
}

caf::result<bool> prepare(txn_self self, const txn_context* ctx,
                          const std::vector<txn_write>& writes,
                          txn_prepare& p) {
  auto& st = self->state;
  if (deciding(st))
    return make_error(errc::invalid_argument, "its outcome is under way");
  auto refuse_vote = [&](caf::error err) -> caf::result<bool> {
    end(self, ctx, err); // tells the coordinator before this answer
    return err;
  };
  if (auto err = check_call(st))
    return refuse_vote(std::move(err));
  if (auto err = check_prepare(p))
    return refuse_vote(std::move(err));
  auto ops = make_ops(st, ctx, writes);
  if (!ops)
    return refuse_vote(std::move(ops.error()));
  if (ops->empty())
    return refuse_vote(
      make_error(errc::invalid_argument, "a prepare needs writes"));
  st.now = txn_state::phase::preparing;
  for (auto& op : *ops)
    st.written.push_back(op.id);
  st.vote = self->make_response_promise<bool>();
  prepare_handover job{storage::prepare_request{std::move(p.name), std::move(*ops),
                                           std::move(p.participants),
                                           std::move(p.decision_holder)},
                  st.handle.id};
  relock_then_prepare(self, ctx, std::move(job));
  return st.vote;
}

/// Starts transaction `handle` for `owner` on this idle actor.
void start_txn(txn_self self, const txn_context* ctx,
               const txn_handle& handle, const txn_options& opts,
               const caf::strong_actor_ptr& owner) {
  ++ctx->begun;
  auto& st = self->state;
  st.running = true;
  st.handle = handle;
  st.opts = opts;
  if (owner) {
    st.owner = owner->address();
    self->monitor(owner);
  }
}

} // namespace

caf::error unknown_transaction(txn_id id) {
  return make_error(errc::unknown_transaction,
                    "transaction " + std::to_string(id)
                      + " is finished or was never begun");
}

txn_actor::behavior_type txn(txn_self self, txn_end_listener coordinator,
                             const txn_context* ctx) {
  self->state.coordinator = std::move(coordinator);
  self->set_down_handler([self, ctx](caf::down_msg& dm) {
    // A down message from an earlier transaction's owner may still come
    // after that transaction ended: only the current owner's counts.
    auto& st = self->state;
    if (st.running && dm.source == st.owner && !deciding(st))
      end(self, ctx, make_error(errc::aborted, "the owner went away"));
  });
  // The coordinator tells when the lease runs out (one timer for all).
  return {
    [self, ctx](txn_start_atom, const txn_handle& handle,
                const txn_options& opts, const caf::strong_actor_ptr& owner) {
      start_txn(self, ctx, handle, opts, owner);
    },
    [self, ctx](txn_start_atom, const txn_handle& handle,
                const txn_options& opts, const caf::strong_actor_ptr& owner,
                std::vector<entity_id>& ids) {
      start_txn(self, ctx, handle, opts, owner);
      return lock(self, ctx, std::move(ids));
    },
    [self, ctx](lock_atom, txn_id id,
                std::vector<entity_id>& ids) -> caf::result<records> {
      if (!runs_txn(self->state, id))
        return unknown_transaction(id);
      return lock(self, ctx, std::move(ids));
    },
    [self, ctx](commit_atom, txn_id id,
                const std::vector<txn_write>& writes) -> caf::result<records> {
      if (!runs_txn(self->state, id))
        return unknown_transaction(id);
      return commit(self, ctx, writes);
    },
    [self, ctx](abort_atom, txn_id id) -> caf::result<bool> {
      if (!runs_txn(self->state, id))
        return unknown_transaction(id);
      if (deciding(self->state))
        return make_error(errc::invalid_argument, "the commit is under way");
      end(self, ctx, make_error(errc::aborted, "aborted by its owner"));
      return true;
    },
    [self, ctx](prepare_atom, txn_id id, const std::vector<txn_write>& writes,
                txn_prepare& p) -> caf::result<bool> {
      if (!runs_txn(self->state, id))
        return unknown_transaction(id);
      return prepare(self, ctx, writes, p);
    },
    [self, ctx](lease_atom, txn_id id) {
      // A commit under way is decided by storage, not by the clock.
      if (runs_txn(self->state, id) && !deciding(self->state))
        end(self, ctx, make_error(errc::lease_expired,
                                  "transaction " + std::to_string(id)));
    },
    [self, ctx](done_atom, txn_id id, records& recs) {
      if (runs_txn(self->state, id))
        committed(self, ctx, recs);
    },
    [self, ctx](done_atom, txn_id id, caf::error& err) {
      if (runs_txn(self->state, id))
        refused(self, ctx, err);
    },
  };
}

} // namespace entact::detail
