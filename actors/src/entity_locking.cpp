#include "entity_locking.hpp"

#include <algorithm>
#include <utility>

#include <caf/typed_event_based_actor.hpp>

#include "entact/errc.hpp"

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
  auto& st = self->state;
  st.holder = req.txn;
  st.holder_age = req.age;
  st.lease_end = clock::now() + req.lease;
  self->delayed_send(self, req.lease, expire_atom::value);
}

void queue_up(entity_ptr self, queued_request q, caf::timespan wait) {
  q.deadline = clock::now() + wait;
  self->state.queue.push_back(std::move(q));
  self->delayed_send(self, wait, expire_atom::value);
}

/// Refuses queued lock requests younger than the new holder (wait-die).
void refuse_younger(entity_state& st) {
  auto younger = [&](const queued_request& q) {
    return q.is_lock && q.lock.age > st.holder_age;
  };
  for (auto& q : st.queue)
    if (younger(q))
      q.rp.deliver(wait_die(q.lock.txn, st.holder));
  st.queue.remove_if(younger);
}

void drop_expired(entity_state& st) {
  auto now = clock::now();
  auto expired = [&](const queued_request& q) { return q.deadline <= now; };
  for (auto& q : st.queue) {
    if (!expired(q))
      continue;
    if (q.is_lock)
      q.rp.deliver(make_error(errc::lock_timeout, st.cache.id));
    else
      q.rp.deliver(make_error(errc::timeout,
                              "write waited too long behind a lock on "
                                + st.cache.id + "; not applied"));
  }
  st.queue.remove_if(expired);
}

void drop_queued_lock(entity_state& st, txn_id txn) {
  auto of_txn = [&](const queued_request& q) {
    return q.is_lock && q.lock.txn == txn;
  };
  for (auto& q : st.queue)
    if (of_txn(q))
      q.rp.deliver(make_error(errc::aborted, "transaction "
                                               + std::to_string(txn)
                                               + " ended while it waited"));
  st.queue.remove_if(of_txn);
}

} // namespace

caf::result<record> on_lock(entity_ptr self, const entity_context*,
                            const lock_request& req) {
  auto& st = self->state;
  if (st.holder == req.txn) {
    st.lease_end = clock::now() + req.lease;
    return st.cache;
  }
  if (!st.busy()) {
    grant(self, req);
    return st.cache;
  }
  if (st.holder != 0 && req.age > st.holder_age)
    return wait_die(req.txn, st.holder);
  auto rp = self->make_response_promise<record>();
  queue_up(self, queued_request{true, req, {}, {}, rp}, req.wait);
  return rp;
}

void on_release(entity_ptr self, const entity_context* ctx, txn_id txn,
                const record& published) {
  auto& st = self->state;
  if (st.holder != txn) {
    // Either a late release after the lease ran out, or the transaction
    // ended while its request waited here (it asks for all its locks at
    // once and died on another entity): that request must not be granted.
    drop_queued_lock(st, txn);
    advance(self, ctx);
    return;
  }
  learn(st, published);
  st.holder = 0;
  advance(self, ctx);
}

void on_expire(entity_ptr self, const entity_context* ctx) {
  auto& st = self->state;
  if (st.holder != 0 && clock::now() >= st.lease_end)
    st.holder = 0; // the transaction is gone or too slow: free the entity
  drop_expired(st);
  advance(self, ctx);
}

caf::result<record> on_write(entity_ptr self, const entity_context* ctx,
                             write_op op) {
  auto& st = self->state;
  if (st.pending.size() + st.queue.size() >= ctx->max_queue)
    return make_error(errc::overloaded, op.id);
  auto rp = self->make_response_promise<record>();
  if (st.holder != 0 || !st.queue.empty())
    queue_up(self, queued_request{false, {}, std::move(op), {}, rp},
             ctx->write_wait);
  else
    submit(self, ctx, std::move(op), rp);
  return rp;
}

void advance(entity_ptr self, const entity_context* ctx) {
  auto& st = self->state;
  if (st.holder != 0)
    return;
  drop_expired(st);
  while (!st.queue.empty()) {
    auto& front = st.queue.front();
    if (!front.is_lock) {
      submit(self, ctx, std::move(front.write), std::move(front.rp));
      st.queue.pop_front();
      continue;
    }
    // The lock goes to the transaction only once the writes queued ahead of
    // it have committed, so it reads their outcome.
    if (!st.pending.empty())
      return;
    auto q = std::move(front);
    st.queue.pop_front();
    grant(self, q.lock);
    q.rp.deliver(st.cache);
    refuse_younger(st);
    return;
  }
}

} // namespace entact::detail
