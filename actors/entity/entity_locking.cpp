#include "entity/entity_locking.hpp"

#include <algorithm>
#include <utility>

#include <caf/typed_event_based_actor.hpp>

#include "entact/errc.hpp"
#include "earliest_timer.hpp"
#include "entity/entity_modify.hpp"
#include "entity/entity_reads.hpp"

namespace entact::detail {

namespace {

using clock = entity_state::clock;

caf::error wait_die(txn_id younger, txn_id holder) {
  return make_error(errc::aborted, "wait-die: transaction "
                                     + std::to_string(younger)
                                     + " is younger than lock holder "
                                     + std::to_string(holder));
}

void grant(entity_ptr self, const lock_request& req) {
  auto& a = self->state.act();
  a.holder = req.txn;
  a.holder_age = req.age;
  a.lease_end = clock::now() + req.lease;
  expire_by(self, a.lease_end);
}

void queue_up(entity_ptr self, queued_request q, caf::timespan wait) {
  q.deadline = clock::now() + wait;
  auto deadline = q.deadline;
  self->state.act().queue.push_back(std::move(q));
  expire_by(self, deadline);
}

caf::error held_prepared(const entity_state& st) {
  return make_error(errc::lock_timeout,
                    st.cache.id + " is held by a prepared transaction");
}

/// The holder became a prepared transaction: writes and modifications
/// queued behind it would only wait out their deadline, so they are
/// refused now (not applied).
void refuse_queued_writes(entity_state& st) {
  auto& a = *st.activity;
  auto write = [](const queued_request& q) { return !q.is_lock; };
  for (auto& q : a.queue)
    if (write(q))
      q.rp.deliver(held_prepared(st));
  a.queue.remove_if(write);
}

/// Refuses queued lock requests younger than the new holder (wait-die).
void refuse_younger(entity_activity& a) {
  auto younger = [&](const queued_request& q) {
    return q.is_lock && q.lock.age > a.holder_age;
  };
  for (auto& q : a.queue)
    if (younger(q))
      q.rp.deliver(wait_die(q.lock.txn, a.holder));
  a.queue.remove_if(younger);
}

void drop_expired(entity_ptr self) {
  auto& st = self->state;
  if (!st.activity)
    return;
  auto& a = *st.activity;
  auto now = clock::now();
  auto expired = [&](const queued_request& q) { return q.deadline <= now; };
  for (auto& q : a.queue) {
    if (!expired(q))
      continue;
    if (q.is_lock)
      q.rp.deliver(make_error(errc::lock_timeout, st.cache.id));
    else
      q.rp.deliver(make_error(errc::timeout,
                              "write waited too long behind a lock on "
                                + st.cache.id + "; not applied"));
  }
  a.queue.remove_if(expired);
  answer_parked_gets(self);
}

void drop_queued_lock(entity_state& st, txn_id txn) {
  if (!st.activity)
    return;
  auto& a = *st.activity;
  auto of_txn = [&](const queued_request& q) {
    return q.is_lock && q.lock.txn == txn;
  };
  for (auto& q : a.queue)
    if (of_txn(q))
      q.rp.deliver(make_error(errc::aborted, "transaction "
                                               + std::to_string(txn)
                                               + " ended while it waited"));
  a.queue.remove_if(of_txn);
}

} // namespace

namespace {

/// The next time the timer must fire for: the lease end, or the first
/// deadline of a queued request (the epoch: none).
clock::time_point next_deadline(const entity_state& st) {
  clock::time_point next{};
  auto consider = [&](clock::time_point t) {
    if (next == clock::time_point{} || t < next)
      next = t;
  };
  if (!st.activity)
    return next;
  if (st.activity->holder != 0)
    consider(st.activity->lease_end);
  for (auto& q : st.activity->queue)
    consider(q.deadline);
  return next;
}

} // namespace

void expire_by(entity_ptr self, clock::time_point when) {
  send_by(self, self->state.expire_due, when, expire_atom::value);
}

caf::result<record> on_lock(entity_ptr self, const entity_context*,
                            const lock_request& req) {
  auto& st = self->state;
  auto& a = st.act();
  // A promise only where the answer comes later: once made, it and not
  // the returned value answers the request.
  if (a.holder == req.txn || a.lockable()) {
    if (a.holder == req.txn) {
      a.lease_end = clock::now() + req.lease;
      // The holder prepares (twopc/): it becomes the oldest.
      if (req.age < a.holder_age) {
        a.holder_age = req.age;
        refuse_younger(a);
        if (a.held_prepared())
          refuse_queued_writes(st);
      }
    } else {
      grant(self, req);
    }
    auto rp = self->make_response_promise<record>();
    answer_committed(self, rp, true, false);
    return rp;
  }
  if (a.holder != 0 && req.age > a.holder_age)
    return wait_die(req.txn, a.holder);
  auto rp = self->make_response_promise<record>();
  queue_up(self, queued_request{true, req, {}, 0, {}, rp}, req.wait);
  return rp;
}

void on_release(entity_ptr self, const entity_context* ctx, txn_id txn,
                const record& published) {
  auto& st = self->state;
  auto& a = st.act();
  // Whatever its lock's fate, a transaction that releases has ended: what
  // it committed (if anything) is in `published`.
  learn(st, published);
  a.unreleased.erase(std::remove(a.unreleased.begin(), a.unreleased.end(), txn),
                     a.unreleased.end());
  if (a.holder != txn) {
    // Either a late release after the lease ran out, or the transaction
    // ended while its request waited here (it asks for all its locks at
    // once and died on another entity): that request must not be granted.
    drop_queued_lock(st, txn);
    advance(self, ctx);
    return;
  }
  a.holder = 0;
  advance(self, ctx);
}

void on_expire(entity_ptr self, const entity_context* ctx) {
  auto& st = self->state;
  // The earliest timer has fired (a later one may still come: harmless).
  if (clock::now() >= st.expire_due)
    st.expire_due = {};
  if (auto* a = st.activity.get();
      a != nullptr && a->holder != 0 && clock::now() >= a->lease_end) {
    // The transaction is gone or too slow: free the entity. A commit of
    // it may still land, so it stays on record until it releases.
    a->unreleased.push_back(a->holder);
    a->holder = 0;
  }
  drop_expired(self);
  advance(self, ctx);
  if (auto next = next_deadline(st); next != clock::time_point{})
    expire_by(self, next);
}

caf::result<record> on_write(entity_ptr self, const entity_context* ctx,
                             write_op op) {
  auto& a = self->state.act();
  if (a.held_prepared())
    return held_prepared(self->state);
  if (a.pending.size() + a.modifying.size() + a.queue.size()
      >= ctx->max_queue) {
    ++ctx->queue_refusals;
    return make_error(errc::overloaded, op.id);
  }
  auto rp = self->make_response_promise<record>();
  auto ticket = a.next_ticket++;
  // Behind a group of modifications too, so writes apply in arrival order
  // even when the group is recomputed (entity_modify.hpp).
  if (a.holder != 0 || !a.queue.empty() || !a.modifying.empty())
    queue_up(self, queued_request{false, {}, std::move(op), ticket, {}, rp},
             ctx->write_wait);
  else
    submit(self, ctx, std::move(op), ticket, rp);
  return rp;
}

void advance(entity_ptr self, const entity_context* ctx) {
  auto& st = self->state;
  if (!st.activity || st.activity->holder != 0)
    return;
  drop_expired(self);
  auto& a = *st.activity;
  while (!a.queue.empty()) {
    // Nothing overtakes a group of modifications in the store.
    if (!a.modifying.empty())
      return;
    auto& front = a.queue.front();
    if (front.is_modify) {
      // Computed on the committed record: after the writes before it.
      if (!a.pending.empty())
        return;
      start_modify_group(self, ctx);
      continue;
    }
    if (!front.is_lock) {
      submit(self, ctx, std::move(front.write), front.ticket,
             std::move(front.rp));
      a.queue.pop_front();
      continue;
    }
    // The lock goes to the transaction only once the writes queued ahead of
    // it have committed, so it reads their outcome.
    if (!a.pending.empty())
      return;
    auto q = std::move(front);
    a.queue.pop_front();
    grant(self, q.lock);
    answer_committed(self, std::move(q.rp), true, false);
    refuse_younger(a);
    return;
  }
}

} // namespace entact::detail
