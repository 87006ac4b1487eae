#include "entity_actor.hpp"

#include <utility>

#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "entact/conflict.hpp"
#include "entact/errc.hpp"
#include "entact/storage/store.hpp"

namespace entact::detail {

namespace {

using self_ptr = entity_actor::stateful_pointer<entity_state>;

/// Keeps the newest committed record seen: from our own commits, or from a
/// conflict that revealed a write made elsewhere.
void learn(entity_state& st, const record& r) {
  if (r.version > st.cache.version)
    st.cache = r;
}

void finish(self_ptr self, uint64_t seq, caf::expected<record> outcome) {
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
}

caf::result<record> submit(self_ptr self, const entity_context* ctx,
                           write_op op) {
  auto& st = self->state;
  if (st.pending.size() >= ctx->max_queue)
    return make_error(errc::overloaded, op.id);
  auto seq = st.next_seq++;
  auto rp = self->make_response_promise<record>();
  st.pending.emplace(seq, rp);
  auto me = caf::actor_cast<entity_actor>(self);
  ctx->store->commit_async(
    {std::move(op)}, [me, seq](caf::expected<std::vector<record>> res) {
      // Runs on the store's thread: only send, never touch state here.
      if (res)
        caf::anon_send(me, done_atom::value, seq, std::move(res->front()));
      else
        caf::anon_send(me, done_atom::value, seq, std::move(res.error()));
    });
  return rp;
}

} // namespace

entity_actor::behavior_type entity(self_ptr self, entity_id id,
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
      return submit(self, ctx, std::move(op));
    },
    [self](done_atom, uint64_t seq, record& r) {
      learn(self->state, r);
      finish(self, seq, std::move(r));
    },
    [self](done_atom, uint64_t seq, caf::error& err) {
      if (auto c = conflict_of(err))
        learn(self->state, c->stored);
      finish(self, seq, std::move(err));
    },
    [self](passivate_atom) -> bool {
      if (!self->state.pending.empty())
        return false;
      self->quit();
      return true;
    },
  };
}

} // namespace entact::detail
