#include "txn/coordinator.hpp"

#include <algorithm>
#include <set>
#include <utility>

#include <caf/send.hpp>

#include <caf/exit_reason.hpp>
#include <caf/sec.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "entact/conflict.hpp"
#include "entact/errc.hpp"
#include "entact/storage/store.hpp"
#include "earliest_timer.hpp"
#include "entity/unpublished.hpp"

namespace entact::detail {

namespace {

using coordinator_self = coordinator_actor::stateful_pointer<coordinator_state>;
using records = std::vector<record>;

caf::error unknown(txn_id id) {
  return unknown_transaction(id);
}

std::string in_ms(caf::timespan t) {
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  return std::to_string(duration_cast<milliseconds>(t).count()) + " ms";
}

/// A caller (possibly a remote peer) may not hold locks, or wait for them,
/// longer than the engine allows: `max_lease` bounds both.
caf::error check(const txn_options& opts, const txn_context* ctx) {
  if (opts.lock_wait.count() <= 0 || opts.lease.count() <= 0)
    return make_error(errc::invalid_argument,
                      "lock_wait and lease must be positive");
  if (opts.lease > ctx->max_lease || opts.lock_wait > ctx->max_lease)
    return make_error(errc::invalid_argument,
                      "a lease of " + in_ms(opts.lease) + " and a lock wait of "
                        + in_ms(opts.lock_wait) + ": each must be at most "
                        + in_ms(ctx->max_lease) + " (max_lease)");
  return {};
}

/// What transaction `id` inherits: its own id as its age if it is new,
/// else the age of the attempt it retries if that attempt may pass it on
/// (then no other retry may).
caf::expected<inherited_age> age_for(coordinator_self self, txn_id id,
                                     const txn_options& opts) {
  auto& st = self->state;
  inherited_age fresh{id, 0};
  if (opts.retry_of == 0)
    return fresh;
  if (opts.retry_of >= st.next_id)
    return retry_refused(opts.retry_of, "it was never begun");
  if (st.txns.count(opts.retry_of) > 0)
    return retry_refused(opts.retry_of, "it is still running");
  auto from = st.ended.take(opts.retry_of, opts.retry_token);
  if (!from)
    return from;
  // Forgotten (more transactions ended since than the table holds): the
  // caller did nothing wrong, so it begins as a new transaction. So does
  // the end of a long chain of retries.
  if (from->age == 0 || from->retries >= max_retries_keeping_age)
    return fresh;
  return inherited_age{from->age, from->retries + 1};
}

uint64_t new_token(coordinator_self self) {
  auto& rd = self->state.tokens;
  return (uint64_t{rd()} << 32) | uint64_t{rd()};
}

using clock = coordinator_state::clock;

/// Makes sure the lease check runs by `when` (see `lease_check_due`).
void check_leases_by(coordinator_self self, clock::time_point when) {
  send_by(self, self->state.lease_check_due, when, lease_atom::value);
}

/// Tells every transaction whose lease ran out (the transaction decides:
/// a commit under way is storage's to end), then arms the next check.
void check_leases(coordinator_self self) {
  auto& st = self->state;
  auto now = clock::now();
  if (now >= st.lease_check_due)
    st.lease_check_due = {};
  while (!st.leases.empty() && st.leases.begin()->first <= now) {
    auto i = st.txns.find(st.leases.begin()->second);
    st.leases.erase(st.leases.begin());
    if (i == st.txns.end())
      continue;
    i->second.lease = st.leases.end();
    self->send(i->second.actor, lease_atom::value, i->first);
  }
  if (!st.leases.empty())
    check_leases_by(self, st.leases.begin()->first);
}

/// Forgets running transaction `i` (its actor lives on).
void forget(coordinator_state& st,
            std::unordered_map<txn_id, coordinator_state::running>::iterator i) {
  if (i->second.lease != st.leases.end())
    st.leases.erase(i->second.lease);
  st.txns.erase(i);
}

/// An idle transaction actor: one from the pool, else a new one.
txn_actor idle_txn_actor(coordinator_self self, const txn_context* ctx) {
  auto& st = self->state;
  if (!st.idle.empty()) {
    auto t = std::move(st.idle.back());
    st.idle.pop_back();
    return t;
  }
  auto t = self->spawn(txn, caf::actor_cast<txn_end_listener>(self), ctx);
  self->monitor(t);
  return t;
}

/// Transaction `t` ended: it waits in the pool for the next one, or quits
/// if the pool is full.
void pool_txn_actor(coordinator_self self, txn_actor t) {
  auto& st = self->state;
  if (st.idle.size() < max_idle_txn_actors) {
    st.by_actor[t->id()] = 0;
    st.idle.push_back(std::move(t));
    return;
  }
  st.by_actor.erase(t->id());
  self->send_exit(t, caf::exit_reason::user_shutdown);
}

/// Registers a new transaction and picks the actor to run it; the caller
/// starts it there (`txn_start_atom`).
caf::expected<std::pair<txn_handle, txn_actor>>
begin(coordinator_self self, const txn_context* ctx, const txn_options& opts) {
  if (auto err = check(opts, ctx))
    return err;
  auto& st = self->state;
  auto from = age_for(self, st.next_id, opts);
  if (!from)
    return std::move(from.error());
  txn_handle handle{st.next_id++, from->age, new_token(self)};
  auto t = idle_txn_actor(self, ctx);
  auto lease_end = clock::now() + opts.lease;
  auto lease = st.leases.emplace(lease_end, handle.id);
  st.by_actor[t->id()] = handle.id;
  st.txns.emplace(handle.id,
                  coordinator_state::running{t, handle, from->retries, lease});
  check_leases_by(self, lease_end);
  return std::make_pair(handle, std::move(t));
}

/// Transaction `id` ended: it is remembered for a retry and forgotten as
/// running. Only its own actor may say so.
void ended(coordinator_self self, txn_id id, bool committed) {
  auto& st = self->state;
  auto i = st.txns.find(id);
  if (i == st.txns.end()
      || self->current_sender() != caf::actor_cast<caf::strong_actor_ptr>(
           i->second.actor))
    return;
  auto& h = i->second.handle;
  st.ended.ended(h.id, h.token, inherited_age{h.age, i->second.retries},
                 committed);
  // It sent this before its last answer, and is idle once that answer is
  // sent: whatever is sent to it from now on comes after.
  auto t = std::move(i->second.actor);
  forget(st, i);
  pool_txn_actor(self, std::move(t));
}

/// `begin`, then the first `lock`, answered together: one round trip
/// fewer for the caller of `transact`.
caf::result<txn_begun> begin_and_lock(coordinator_self self, const txn_context* ctx,
                                      const txn_options& opts,
                                      std::vector<entity_id>& ids) {
  // A copy: passed as the reference `current_sender()` returns, the owner
  // arrived null at the transaction (CAF 0.17.6); a copy arrives intact.
  caf::strong_actor_ptr owner = self->current_sender();
  auto begun = begin(self, ctx, opts);
  if (!begun)
    return std::move(begun.error());
  auto rp = self->make_response_promise<txn_begun>();
  auto h = begun->first;
  self->request(begun->second, caf::infinite, txn_start_atom::value, h, opts,
                std::move(owner), std::move(ids))
    .then(
      [rp, h](records& recs) mutable {
        rp.deliver(txn_begun{h, std::move(recs), {}});
      },
      [rp, h](caf::error& err) mutable {
        rp.deliver(txn_begun{h, {}, std::move(err)});
      });
  return rp;
}

/// Forwards a call to the transaction's actor. A transaction that ended
/// while the call was on its way answers as an unknown one.
template <class T, class... Ts>
caf::result<T> forward(coordinator_self self, txn_id id, Ts... xs) {
  auto i = self->state.txns.find(id);
  if (i == self->state.txns.end())
    return unknown(id);
  auto rp = self->make_response_promise<T>();
  self->request(i->second.actor, caf::infinite, std::move(xs)...)
    .then([rp](T& x) mutable { rp.deliver(std::move(x)); },
          [rp, id](caf::error& err) mutable {
            if (err == caf::sec::request_receiver_down)
              rp.deliver(unknown(id));
            else
              rp.deliver(std::move(err));
          });
  return rp;
}

caf::error check_batch(const txn_context* ctx,
                       const std::vector<write_op>& ops) {
  if (ops.empty())
    return make_error(errc::invalid_argument, "empty batch");
  if (ops.size() > ctx->max_entities)
    return make_error(errc::too_large,
                      "a batch writes at most "
                        + std::to_string(ctx->max_entities) + " entities");
  std::set<entity_id> ids;
  for (auto& op : ops) {
    if (auto err = validate(op, ctx->limits))
      return err;
    if (!ids.insert(op.id).second)
      return make_error(errc::invalid_argument, "two writes to " + op.id);
  }
  return {};
}

caf::result<records> batch(coordinator_self self, const txn_context* ctx,
                           std::vector<write_op> ops) {
  if (auto err = check_batch(ctx, ops))
    return err;
  auto& st = self->state;
  auto seq = st.next_batch++;
  auto rp = self->make_response_promise<records>();
  std::vector<entity_id> ids;
  ids.reserve(ops.size());
  for (auto& op : ops)
    ids.push_back(op.id);
  // Marked before the store sees the batch: from the moment it may be
  // visible in storage until its entities learn it, they read storage.
  ctx->unpublished_batches->mark(ops);
  st.batches.emplace(seq, coordinator_state::batch{rp, std::move(ids)});
  auto me = caf::actor_cast<coordinator_actor>(self);
  ctx->store->commit_async(std::move(ops), [me, seq](caf::expected<records> r) {
    if (r)
      caf::anon_send(me, done_atom::value, seq, std::move(*r));
    else
      caf::anon_send(me, done_atom::value, seq, std::move(r.error()));
  });
  return rp;
}

/// Tells every entity of the batch its outcome, which also lifts the
/// batch's marks, then answers the caller. `learned(k, id)` is what the
/// batch's k-th entity learns: the record written, the stored one on a
/// conflict, or a version-0 record (nothing).
template <class T, class Learned>
void batch_done(coordinator_self self, const txn_context* ctx, uint64_t seq,
                T&& outcome, Learned learned) {
  auto i = self->state.batches.find(seq);
  if (i == self->state.batches.end())
    return;
  auto b = std::move(i->second);
  self->state.batches.erase(i);
  for (size_t k = 0; k < b.ids.size(); ++k)
    self->send(ctx->router, publish_atom::value, b.ids[k],
               learned(k, b.ids[k]));
  b.rp.deliver(std::forward<T>(outcome));
}

} // namespace

coordinator_actor::behavior_type coordinator(coordinator_self self,
                                           const txn_context* ctx) {
  self->state.ended = retry_table{ctx->max_retryable};
  // A transaction actor tells how it ended before it quits; one that went
  // down without saying so is forgotten, and a retry of it begins afresh.
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& st = self->state;
    auto i = st.by_actor.find(dm.source.id());
    if (i == st.by_actor.end())
      return;
    if (auto t = st.txns.find(i->second); t != st.txns.end())
      forget(st, t);
    auto& idle = st.idle;
    idle.erase(std::remove_if(idle.begin(), idle.end(),
                              [&](const txn_actor& a) {
                                return a->id() == dm.source.id();
                              }),
               idle.end());
    st.by_actor.erase(i);
  });
  self->set_exit_handler([self](caf::exit_msg& msg) {
    for (auto& kvp : self->state.txns)
      self->send_exit(kvp.second.actor, msg.reason);
    for (auto& t : self->state.idle)
      self->send_exit(t, msg.reason);
    self->quit(std::move(msg.reason));
  });
  return {
    [self, ctx](begin_atom, const txn_options& opts)
      -> caf::result<txn_handle> {
      auto begun = begin(self, ctx, opts);
      if (!begun)
        return std::move(begun.error());
      caf::strong_actor_ptr owner = self->current_sender(); // a copy
      self->send(begun->second, txn_start_atom::value, begun->first, opts,
                 std::move(owner));
      return begun->first;
    },
    [self, ctx](begin_atom, const txn_options& opts,
                std::vector<entity_id>& ids) {
      return begin_and_lock(self, ctx, opts, ids);
    },
    [self](lock_atom, txn_id id, std::vector<entity_id>& ids) {
      return forward<std::vector<record>>(self, id, lock_atom::value, id,
                                          std::move(ids));
    },
    [self](commit_atom, txn_id id, std::vector<txn_write>& writes) {
      return forward<std::vector<record>>(self, id, commit_atom::value, id,
                                          std::move(writes));
    },
    [self](abort_atom, txn_id id) {
      return forward<bool>(self, id, abort_atom::value, id);
    },
    [self, ctx](write_atom, std::vector<write_op>& ops) {
      return batch(self, ctx, std::move(ops));
    },
    [self](prepare_atom, txn_id id, std::vector<txn_write>& writes,
           txn_prepare& p) {
      return forward<bool>(self, id, prepare_atom::value, id,
                           std::move(writes), std::move(p));
    },
    // Prepared transactions are the prepared table's, by name.
    [self, ctx](commit_prepared_atom a, std::string& name, bool as_decision) {
      return self->delegate(ctx->prepared, a, std::move(name), as_decision);
    },
    [self, ctx](abort_prepared_atom a, std::string& name) {
      return self->delegate(ctx->prepared, a, std::move(name));
    },
    [self, ctx](decision_atom a, std::string& name) {
      return self->delegate(ctx->prepared, a, std::move(name));
    },
    [self, ctx](forget_atom a, std::string& name) {
      return self->delegate(ctx->prepared, a, std::move(name));
    },
    [self, ctx](prepared_atom a) { return self->delegate(ctx->prepared, a); },
    [self, ctx](done_atom, uint64_t seq, records& recs) {
      // One record per op, in op order; moved into the answer only after
      // the entities were told.
      batch_done(self, ctx, seq, std::move(recs),
                 [&](size_t k, const entity_id&) { return recs[k]; });
    },
    [self, ctx](done_atom, uint64_t seq, caf::error& err) {
      auto c = conflict_of(err);
      batch_done(self, ctx, seq, std::move(err),
                 [&](size_t, const entity_id& id) {
                   return c && c->id == id ? c->stored : record{};
                 });
    },
    [self](lease_atom) { check_leases(self); },
    [self](ended_atom, txn_id id, bool committed) {
      ended(self, id, committed);
    },
  };
}

} // namespace entact::detail
