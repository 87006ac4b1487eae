#include "entity_actor.hpp"

#include <utility>

#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "entact/conflict.hpp"
#include "entact/errc.hpp"
#include "entact/storage/store.hpp"
#include "entity_locking.hpp"

namespace entact::detail {

void learn(entity_state& st, const record& r) {
  if (r.version > st.cache.version)
    st.cache = r;
}

void submit(entity_ptr self, const entity_context* ctx, write_op op,
            caf::typed_response_promise<record> rp) {
  auto& st = self->state;
  auto seq = st.next_seq++;
  st.pending.emplace(seq, std::move(rp));
  auto me = caf::actor_cast<entity_actor>(self);
  ctx->store->commit_async(
    {std::move(op)}, [me, seq](caf::expected<std::vector<record>> res) {
      // Runs on the store's thread: only send, never touch state here.
      if (res)
        caf::anon_send(me, done_atom::value, seq, std::move(res->front()));
      else
        caf::anon_send(me, done_atom::value, seq, std::move(res.error()));
    });
}

namespace {

void finish(entity_ptr self, const entity_context* ctx, uint64_t seq,
            caf::expected<record> outcome) {
  auto& st = self->state;
  auto i = st.pending.find(seq);
  if (i == st.pending.end())
    return;
  auto rp = std::move(i->second);
  st.pending.erase(i);
  if (outcome)
    rp.deliver(std::move(*outcome));
  else
    rp.deliver(std::move(outcome.error()));
  if (st.pending.empty() && !st.queue.empty())
    advance(self, ctx);
}

} // namespace

entity_actor::behavior_type entity(entity_ptr self, entity_id id,
                                   const entity_context* ctx) {
  self->state.cache = record{id, no_version, {}, false};
  // Until the record is loaded, every other message waits in the mailbox.
  self->request(ctx->readers, caf::infinite, load_atom::value, id)
    .await([self](record& r) { learn(self->state, r); },
           [self](caf::error& err) { self->quit(std::move(err)); });
  return {
    [self](get_atom, const entity_id&) -> caf::result<record> {
      const auto& c = self->state.cache;
      if (!c.exists())
        return make_error(errc::not_found, c.id);
      return c;
    },
    [self, ctx](write_atom, write_op& op) -> caf::result<record> {
      return on_write(self, ctx, std::move(op));
    },
    [self, ctx](lock_atom, const entity_id&,
                const lock_request& req) -> caf::result<record> {
      return on_lock(self, ctx, req);
    },
    [self, ctx](release_atom, const entity_id&, txn_id txn,
                const record& published) {
      on_release(self, ctx, txn, published);
    },
    [self](publish_atom, const entity_id&, const record& r) {
      learn(self->state, r);
    },
    [self, ctx](done_atom, uint64_t seq, record& r) {
      learn(self->state, r);
      finish(self, ctx, seq, std::move(r));
    },
    [self, ctx](done_atom, uint64_t seq, caf::error& err) {
      if (auto c = conflict_of(err))
        learn(self->state, c->stored);
      finish(self, ctx, seq, std::move(err));
    },
    [self, ctx](expire_atom) { on_expire(self, ctx); },
    [self](passivate_atom) -> bool {
      if (self->state.busy())
        return false;
      self->quit();
      return true;
    },
  };
}

} // namespace entact::detail
