#include "entity/entity_modify.hpp"

#include <algorithm>
#include <exception>
#include <utility>

#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "entact/decide.hpp"
#include "entact/errc.hpp"
#include "entact/not_found.hpp"
#include "entact/storage/store.hpp"
#include "entity/entity_locking.hpp"
#include "entity/entity_reads.hpp"
#include "operations/operation_registry.hpp"

namespace entact::detail {

namespace {

using clock = entity_state::clock;

/// Runs the operation of `change` on `current`: its new value, or why not.
caf::expected<std::string> run_operation(const entity_context* ctx,
                                         const record& current,
                                         const modify_op& change) {
  const auto* fn = ctx->operations->find(change.name);
  if (fn == nullptr)
    return make_error(errc::invalid_argument,
                      "unknown operation '" + change.name + "'");
  caf::expected<std::string> value{std::string{}};
  try {
    value = (*fn)(current, change.arg);
  } catch (const std::exception& ex) {
    return make_error(errc::invalid_argument, "operation '" + change.name
                                                + "' threw: " + ex.what());
  }
  if (!value && value.error().category() != error_category)
    return make_error(errc::invalid_argument,
                      "operation '" + change.name
                        + "' failed: " + to_string(value.error()));
  return value;
}

/// The versioned write that stores `value` on top of `current`: the store
/// refuses it unless `current` is still what is stored, absent or deleted
/// included (so the operation saw the real record).
write_op write_of(const record& current, std::string value) {
  if (current.exists())
    return write_op::update(current.id, current.version, std::move(value));
  return write_op::create_at(current.id, current.version, std::move(value));
}

/// Applies `m` to `current`, appending its write to `ops`; records why
/// not in `m.refused` instead.
void apply_one(const entity_context* ctx, record& current, modification& m,
               std::vector<write_op>& ops) {
  auto value = run_operation(ctx, current, m.change);
  if (!value) {
    m.refused = std::move(value.error());
    return;
  }
  auto op = write_of(current, std::move(*value));
  if (auto err = validate(op, ctx->limits)) {
    m.refused = std::move(err);
    return;
  }
  // The version rule, as the store will apply it: the next version, or
  // version_overflow.
  auto next = decide(current, op);
  if (!next) {
    m.refused = std::move(next.error());
    return;
  }
  ops.push_back(std::move(op));
  current = std::move(*next);
}

void answer_all(std::vector<modification>& group, const caf::error& err) {
  for (auto& m : group)
    m.rp.deliver(err);
}

/// Computes `group` on the committed record and hands its writes to the
/// store as one batch; answers at once if none of them writes.
void write_group(entity_ptr self, const entity_context* ctx,
                 std::vector<modification> group) {
  auto current = self->state.cache;
  std::vector<write_op> ops;
  ops.reserve(group.size());
  for (auto& m : group)
    apply_one(ctx, current, m, ops);
  if (ops.empty()) {
    for (auto& m : group)
      m.rp.deliver(m.refused);
    answer_parked_gets(self);
    return;
  }
  auto& a = self->state.act();
  a.modifying = std::move(group);
  auto ticket = a.modifying.front().ticket;
  auto me = caf::actor_cast<entity_actor>(self);
  ctx->store->commit_async(
    std::move(ops),
    [me, ticket](caf::expected<std::vector<record>> res) {
      // Runs on the store's thread: only send, never touch state here.
      if (res)
        caf::anon_send(me, done_atom::value, ticket, std::move(*res));
      else
        caf::anon_send(me, done_atom::value, ticket, std::move(res.error()));
    });
}

modification take(queued_request& q) {
  return modification{q.ticket,         std::move(q.change), std::move(q.rp),
                      caf::error{},     q.attempts,          q.deadline};
}

queued_request requeued(modification& m) {
  queued_request q;
  q.ticket = m.ticket;
  q.deadline = m.deadline;
  q.rp = std::move(m.rp);
  q.is_modify = true;
  q.change = std::move(m.change);
  q.attempts = m.attempts;
  return q;
}

/// Puts a refused group back at the front of the queue, in order, to be
/// recomputed on the record the refusal carried; those out of attempts
/// fail with `err`.
void requeue(entity_activity& a, std::vector<modification>& group,
             const caf::error& err) {
  for (auto i = group.rbegin(); i != group.rend(); ++i) {
    if (++i->attempts >= max_modify_attempts)
      i->rp.deliver(err);
    else
      a.queue.push_front(requeued(*i));
  }
}

} // namespace

caf::result<record> on_modify(entity_ptr self, const entity_context* ctx,
                              modify_op op) {
  auto& a = self->state.act();
  if (a.held_prepared())
    return make_error(errc::lock_timeout,
                      op.id + " is held by a prepared transaction");
  if (a.pending.size() + a.modifying.size() + a.queue.size()
      >= ctx->max_queue) {
    ++ctx->queue_refusals;
    return make_error(errc::overloaded, op.id);
  }
  auto rp = self->make_response_promise<record>();
  queued_request q;
  q.ticket = a.next_ticket++;
  q.deadline = clock::now() + ctx->write_wait;
  q.rp = rp;
  q.is_modify = true;
  q.change = std::move(op);
  bool idle = a.holder == 0 && a.queue.empty() && a.pending.empty()
              && a.modifying.empty();
  if (idle) {
    std::vector<modification> group;
    group.push_back(take(q));
    write_group(self, ctx, std::move(group));
    return rp;
  }
  // Only a lock may hold it back without an answer from the store coming.
  if (a.holder != 0 || std::any_of(a.queue.begin(), a.queue.end(),
                                   [](const queued_request& x) {
                                     return x.is_lock;
                                   }))
    expire_by(self, q.deadline);
  a.queue.push_back(std::move(q));
  return rp;
}

void start_modify_group(entity_ptr self, const entity_context* ctx) {
  auto& a = self->state.act();
  std::vector<modification> group;
  while (!a.queue.empty() && a.queue.front().is_modify
         && group.size() < max_modify_group) {
    group.push_back(take(a.queue.front()));
    a.queue.pop_front();
  }
  write_group(self, ctx, std::move(group));
}

bool is_modify_group(const entity_state& st, uint64_t ticket) noexcept {
  const auto* a = st.activity.get();
  return a != nullptr && !a->modifying.empty()
         && a->modifying.front().ticket == ticket;
}

void on_modified(entity_ptr self, const entity_context* ctx, uint64_t ticket,
                 std::vector<record>& recs) {
  auto& st = self->state;
  if (!is_modify_group(st, ticket))
    return;
  auto& a = *st.activity;
  auto group = std::move(a.modifying);
  a.modifying.clear();
  if (!recs.empty())
    learn(st, recs.back());
  size_t next = 0;
  for (auto& m : group) {
    if (m.refused)
      m.rp.deliver(m.refused);
    else if (next < recs.size())
      m.rp.deliver(std::move(recs[next++]));
    else
      m.rp.deliver(make_error(errc::storage_failure,
                              "the store answered fewer records than writes"));
  }
  ctx->modifications += next;
  ++ctx->modify_writes;
  answer_parked_gets(self);
  advance(self, ctx);
}

void on_modify_failed(entity_ptr self, const entity_context* ctx,
                      uint64_t ticket, caf::error err) {
  auto& st = self->state;
  if (!is_modify_group(st, ticket))
    return;
  auto& a = *st.activity;
  auto group = std::move(a.modifying);
  a.modifying.clear();
  auto code = code_of(err);
  auto stored = stored_of(err);
  if ((code == errc::conflict || code == errc::not_found) && stored) {
    // Someone wrote behind the entity's back: storage, the authority, says
    // what is committed now.
    learn(st, *stored);
    requeue(a, group, err);
  } else {
    answer_all(group, err);
  }
  answer_parked_gets(self);
  advance(self, ctx);
}

} // namespace entact::detail
