#include "entity/entity_actor.hpp"

#include <utility>

#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "entact/conflict.hpp"
#include "entact/errc.hpp"
#include "entact/not_found.hpp"
#include "entact/storage/store.hpp"
#include "entity/entity_locking.hpp"
#include "entity/entity_modify.hpp"
#include "entity/entity_reads.hpp"
#include "entity/unpublished.hpp"

namespace entact::detail {

void learn(entity_state& st, const record& r) {
  if (r.version > st.cache.version)
    st.cache = r;
}

void submit(entity_ptr self, const entity_context* ctx, write_op op,
            uint64_t ticket, caf::typed_response_promise<record> rp) {
  self->state.act().pending.emplace(ticket, std::move(rp));
  auto me = caf::actor_cast<entity_actor>(self);
  ctx->store->commit_async(
    {std::move(op)}, [me, ticket](caf::expected<std::vector<record>> res) {
      // Runs on the store's thread: only send, never touch state here.
      if (res)
        caf::anon_send(me, done_atom::value, ticket, std::move(res->front()));
      else
        caf::anon_send(me, done_atom::value, ticket, std::move(res.error()));
    });
}

namespace {

/// The entity actor whose messages this thread is processing.
thread_local entity_impl* current = nullptr;

void finish(entity_ptr self, const entity_context* ctx, uint64_t ticket,
            caf::expected<record> outcome) {
  auto* a = self->state.activity.get();
  if (a == nullptr)
    return;
  auto i = a->pending.find(ticket);
  if (i == a->pending.end())
    return;
  auto rp = std::move(i->second);
  a->pending.erase(i);
  if (outcome)
    rp.deliver(std::move(*outcome));
  else
    rp.deliver(std::move(outcome.error()));
  answer_parked_gets(self);
  if (a->pending.empty() && !a->queue.empty())
    advance(self, ctx);
}

/// The handlers of every entity actor: they capture nothing, so one
/// behavior serves all of them.
entity_actor::behavior_type make_shared_behavior() {
  return {
    [](get_atom, const entity_id&) -> caf::result<record> {
      auto res = on_get(current);
      current->state.settle();
      return res;
    },
    [](write_atom, write_op& op) -> caf::result<record> {
      auto res = on_write(current, current->ctx, std::move(op));
      current->state.settle();
      return res;
    },
    [](modify_atom, modify_op& op) -> caf::result<record> {
      auto res = on_modify(current, current->ctx, std::move(op));
      current->state.settle();
      return res;
    },
    [](lock_atom, const entity_id&,
       const lock_request& req) -> caf::result<record> {
      auto res = on_lock(current, current->ctx, req);
      current->state.settle();
      return res;
    },
    [](release_atom, const entity_id&, txn_id txn, const record& published) {
      on_release(current, current->ctx, txn, published);
      current->state.settle();
    },
    [](publish_atom, const entity_id& id, const record& r) {
      learn(current->state, r);
      current->ctx->unpublished_batches->unmark(id);
    },
    [](done_atom, uint64_t ticket, record& r) {
      learn(current->state, r);
      finish(current, current->ctx, ticket, std::move(r));
      current->state.settle();
    },
    [](done_atom, uint64_t ticket, std::vector<record>& recs) {
      on_modified(current, current->ctx, ticket, recs);
      current->state.settle();
    },
    [](done_atom, uint64_t ticket, caf::error& err) {
      if (is_modify_group(current->state, ticket)) {
        on_modify_failed(current, current->ctx, ticket, std::move(err));
        current->state.settle();
        return;
      }
      if (auto c = conflict_of(err))
        learn(current->state, c->stored);
      finish(current, current->ctx, ticket, std::move(err));
      current->state.settle();
    },
    [](expire_atom) {
      on_expire(current, current->ctx);
      current->state.settle();
    },
    [](passivate_atom) -> bool {
      auto self = current;
      if (self->state.busy())
        return false;
      self->quit(); // no reason: on_exit tells passivation apart
      return true;
    },
  };
}

} // namespace

entity_impl::entity_impl(caf::actor_config& cfg, const entity_id& id,
                         const entity_context* ctx, caf::actor_addr router)
  : super(cfg), ctx(ctx), router_(std::move(router)) {
  state.cache = record{id, no_version, {}, false};
}

entity_impl::behavior_type entity_impl::make_behavior() {
  // Until the record is loaded, every other message waits in the mailbox.
  request(ctx->readers, caf::infinite, load_atom::value, state.cache.id)
    .await([this](record& r) { learn(state, r); },
           [this](caf::error& err) { quit(std::move(err)); });
  static const behavior_type shared = make_shared_behavior();
  return shared;
}

entity_impl::resume_result entity_impl::resume(caf::execution_unit* eu,
                                               size_t max_throughput) {
  auto outer = current;
  current = this;
  auto result = super::resume(eu, max_throughput);
  // Nothing of `this` after this point: once resume returns, another worker
  // may already be running this actor.
  current = outer;
  return result;
}

void entity_impl::on_exit() {
  // Only passivation quits without a reason (an error).
  if (fail_state())
    if (auto r = caf::actor_cast<router_actor>(router_))
      caf::anon_send(r, gone_atom::value, state.cache.id, id());
  // Like a stateful actor: drop the state (and the promises and handles it
  // holds) now, not when the last handle to this actor goes.
  state = entity_state{};
}

const char* entity_impl::name() const {
  return "entact.entity";
}

} // namespace entact::detail
