#include "entity/router.hpp"

#include <algorithm>
#include <tuple>
#include <utility>

#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "entact/errc.hpp"
#include "entact/write_op.hpp"
#include "entity/unpublished.hpp"
#include "operations/operation_registry.hpp"

namespace entact::detail {

namespace {

using router_self = router_actor::stateful_pointer<router_state>;
using entry = router_state::entry;
using node = router_state::node;

std::chrono::milliseconds sweep_interval(const router_config& cfg) {
  using std::chrono::milliseconds;
  return std::clamp(cfg.idle_timeout / 4, milliseconds{5}, milliseconds{1000});
}

void start_passivation(router_self self, node& n);

void lru_push_front(router_state& st, node& n) {
  n.second.newer = nullptr;
  n.second.older = st.lru_front;
  (st.lru_front ? st.lru_front->second.newer : st.lru_back) = &n;
  st.lru_front = &n;
}

void lru_unlink(router_state& st, node& n) {
  auto& e = n.second;
  (e.newer ? e.newer->second.older : st.lru_front) = e.older;
  (e.older ? e.older->second.newer : st.lru_back) = e.newer;
  e.newer = e.older = nullptr;
}

/// Passivates least recently used entities until the cap holds again.
void enforce_cap(router_self self) {
  auto& st = self->state;
  while (st.entities.size() - st.passivating > st.cfg.resident_cap
         && st.lru_back != nullptr)
    start_passivation(self, *st.lru_back);
}

node& activate(router_self self, const entity_id& id) {
  auto& st = self->state;
  auto handle = self->spawn<entity_impl>(id, st.ctx, self->address());
  auto& n = *st.entities.try_emplace(id).first;
  auto& e = n.second;
  e.handle = std::move(handle);
  e.last_use = router_state::clock::now();
  lru_push_front(st, n);
  ++st.stats.activations;
  enforce_cap(self);
  return n;
}

void touch(router_self self, node& n) {
  auto& st = self->state;
  n.second.last_use = router_state::clock::now();
  if (st.lru_front != &n) {
    lru_unlink(st, n);
    lru_push_front(st, n);
  }
}

/// Replays requests held during a handshake, oldest first.
void replay(entity_actor& handle,
            std::unique_ptr<std::vector<router_state::stashed>> stash) {
  if (stash)
    for (auto& f : *stash)
      f(handle);
}

void forget(router_self self, const entity_id& id) {
  auto& st = self->state;
  auto i = st.entities.find(id);
  if (i->second.passivating())
    --st.passivating;
  else
    lru_unlink(st, *i);
  st.entities.erase(i);
}

void finish_passivation(router_self self, const entity_id& id,
                        const entity_actor& handle, bool stopped) {
  auto& st = self->state;
  auto i = st.entities.find(id);
  if (i == st.entities.end() || i->second.handle != handle
      || !i->second.passivating())
    return;
  auto& e = i->second;
  if (!stopped) {
    // Busy (writes in flight): it stays, as most recently used.
    --st.passivating;
    e.last_use = router_state::clock::now();
    lru_push_front(st, *i);
    replay(e.handle, std::move(e.stash));
    return;
  }
  ++st.stats.passivations;
  auto held = std::move(e.stash);
  forget(self, id);
  if (held && !held->empty())
    replay(activate(self, id).second.handle, std::move(held));
}

void start_passivation(router_self self, node& n) {
  auto& st = self->state;
  auto& e = n.second;
  lru_unlink(st, n);
  e.last_use = entry::handshake;
  ++st.passivating;
  auto handle = e.handle;
  const auto& id = n.first;
  self->request(handle, caf::infinite, passivate_atom::value)
    .then(
      [self, id, handle](bool stopped) {
        finish_passivation(self, id, handle, stopped);
      },
      [self, id, handle](caf::error&) {
        // The entity is gone either way.
        finish_passivation(self, id, handle, true);
      });
}

/// Holds a request until the handshake under way settles.
void stash(entry& e, router_state::stashed f) {
  if (!e.stash)
    e.stash = std::make_unique<std::vector<router_state::stashed>>();
  e.stash->push_back(std::move(f));
}

template <class... Ts>
caf::result<record> route(router_self self, const entity_id& id, Ts... xs) {
  auto& st = self->state;
  auto i = st.entities.find(id);
  auto& n = i != st.entities.end() ? *i : activate(self, id);
  auto& e = n.second;
  if (!e.passivating()) {
    touch(self, n);
    return self->delegate(e.handle, std::move(xs)...);
  }
  auto rp = self->make_response_promise<record>();
  stash(e, [self, rp, args = std::make_tuple(std::move(xs)...)](
             entity_actor& handle) mutable {
    auto send = [&](auto&&... ys) {
      return self->request(handle, caf::infinite, std::move(ys)...);
    };
    std::apply(send, std::move(args))
      .then([rp](record& r) mutable { rp.deliver(std::move(r)); },
            [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
  });
  return rp;
}

/// Like `route`, for messages that get no answer and only matter to a
/// resident entity: a release or a published record. An entity that is not
/// resident holds no lock (a locked one refuses passivation), and a fresh
/// one loads the committed record anyway. Returns false if not resident.
template <class... Ts>
bool route_to_resident(router_self self, const entity_id& id, Ts... xs) {
  auto i = self->state.entities.find(id);
  if (i == self->state.entities.end())
    return false;
  auto& e = i->second;
  if (!e.passivating()) {
    touch(self, *i);
    self->send(e.handle, std::move(xs)...);
    return true;
  }
  stash(e, [self, args = std::make_tuple(std::move(xs)...)](
             entity_actor& handle) mutable {
    std::apply([&](auto&&... ys) { self->send(handle, std::move(ys)...); },
               std::move(args));
  });
  return true;
}

void sweep(router_self self) {
  auto& st = self->state;
  auto deadline = router_state::clock::now() - st.cfg.idle_timeout;
  while (st.lru_back != nullptr && st.lru_back->second.last_use <= deadline)
    start_passivation(self, *st.lru_back);
}

void on_gone(router_self self, const entity_id& id, caf::actor_id aid) {
  auto& st = self->state;
  auto i = st.entities.find(id);
  if (i == st.entities.end() || i->second.handle->id() != aid)
    return;
  // A passivating entity is settled by its handshake's reply (or error);
  // any other stopped on its own (its record could not be loaded): forget
  // it, the next request activates a fresh one.
  if (!i->second.passivating())
    forget(self, id);
}

void shut_down(router_self self, caf::exit_msg& msg) {
  for (auto& kvp : self->state.entities)
    self->send_exit(kvp.second.handle, msg.reason);
  self->quit(std::move(msg.reason));
}

} // namespace

router_actor::behavior_type router(router_self self, router_config cfg,
                                   const entity_context* ctx) {
  self->state.cfg = std::move(cfg);
  self->state.ctx = ctx;
  self->set_exit_handler([self](caf::exit_msg& msg) { shut_down(self, msg); });
  self->delayed_send(self, sweep_interval(self->state.cfg), sweep_atom::value);
  return {
    [self](get_atom, entity_id& id) -> caf::result<record> {
      if (auto err = validate_id(id, self->state.cfg.limits))
        return err;
      auto key = id;
      return route(self, key, get_atom::value, std::move(id));
    },
    [self](write_atom, write_op& op) -> caf::result<record> {
      if (auto err = validate(op, self->state.cfg.limits))
        return err;
      auto key = op.id;
      return route(self, key, write_atom::value, std::move(op));
    },
    [self](modify_atom, modify_op& op) -> caf::result<record> {
      if (auto err = validate(op, self->state.cfg.limits))
        return err;
      // Unknown names are refused here, before any entity is activated.
      if (self->state.ctx->operations->find(op.name) == nullptr)
        return make_error(errc::invalid_argument,
                          "unknown operation '" + op.name + "'");
      auto key = op.id;
      return route(self, key, modify_atom::value, std::move(op));
    },
    [self](lock_atom, entity_id& id,
           lock_request& req) -> caf::result<record> {
      if (auto err = validate_id(id, self->state.cfg.limits))
        return err;
      auto key = id;
      return route(self, key, lock_atom::value, std::move(id), req);
    },
    [self](release_atom, entity_id& id, txn_id txn, record& published) {
      auto key = id;
      route_to_resident(self, key, release_atom::value, std::move(id), txn,
                        std::move(published));
    },
    [self](publish_atom, entity_id& id, record& published) {
      auto key = id;
      // No entity to learn the batch's outcome: lift its mark here; one
      // activated later loads from storage, which already has it.
      if (!route_to_resident(self, key, publish_atom::value, std::move(id),
                             std::move(published)))
        self->state.ctx->unpublished_batches->unmark(key);
    },
    [self](gone_atom, const entity_id& id, caf::actor_id aid) {
      on_gone(self, id, aid);
    },
    [self](stats_atom) {
      auto result = self->state.stats;
      result.resident = self->state.entities.size();
      result.modifications = self->state.ctx->modifications.load();
      result.modify_writes = self->state.ctx->modify_writes.load();
      return result;
    },
    [self](sweep_atom) {
      sweep(self);
      self->delayed_send(self, sweep_interval(self->state.cfg),
                         sweep_atom::value);
    },
  };
}

} // namespace entact::detail
