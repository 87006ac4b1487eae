#include "entity/entity_reads.hpp"

#include <algorithm>
#include <utility>

#include <caf/typed_event_based_actor.hpp>

#include "entact/errc.hpp"
#include "entact/not_found.hpp"
#include "entity/entity_locking.hpp"
#include "entity/unpublished.hpp"

namespace entact::detail {

namespace {

/// True if no commit the cache has not learned can be visible in storage.
bool cache_is_current(entity_ptr self, bool for_lock) {
  const auto& st = self->state;
  if (const auto* a = st.activity.get()) {
    if (a->holder != 0 && !for_lock)
      return false;
    if (!a->unreleased.empty())
      return false;
  }
  return !self->ctx->unpublished_batches->contains(st.cache.id);
}

template <class Promise>
void deliver(Promise& rp, const record& r, bool as_get) {
  if (as_get && !r.exists())
    rp.deliver(make_not_found_error(r));
  else
    rp.deliver(r);
}

} // namespace

uint64_t entity_activity::oldest_unfinished_write() const noexcept {
  // Pending writes were accepted before queued ones (a write queues only
  // while the entity is locked or others wait, and leaves the queue in
  // order), so the first queued write matters only if none is pending.
  if (!pending.empty())
    return pending.begin()->first;
  if (!modifying.empty())
    return modifying.front().ticket;
  auto q = std::find_if(queue.begin(), queue.end(),
                        [](const queued_request& x) { return !x.is_lock; });
  return q != queue.end() ? q->ticket : next_ticket;
}

void answer_committed(entity_ptr self, caf::typed_response_promise<record> rp,
                      bool for_lock, bool as_get) {
  if (cache_is_current(self, for_lock)) {
    deliver(rp, self->state.cache, as_get);
    return;
  }
  ++self->state.act().reads;
  self->request(self->ctx->readers, caf::infinite, load_atom::value,
                self->state.cache.id)
    .then(
      [self, rp, as_get](record& r) mutable {
        // Storage is the authority: what it shows now is committed.
        learn(self->state, r);
        --self->state.act().reads;
        deliver(rp, r, as_get);
        self->state.settle();
      },
      [self, rp](caf::error& err) mutable {
        --self->state.act().reads;
        rp.deliver(std::move(err));
        self->state.settle();
      });
}

caf::result<record> on_get(entity_ptr self) {
  auto& st = self->state;
  auto* a = st.activity.get();
  // Its commit may already be decided elsewhere: neither the cache nor
  // storage may answer until the decision arrives here.
  if (a != nullptr && a->held_prepared())
    return make_error(errc::in_doubt,
                      st.cache.id + " is held by a prepared transaction: "
                                    "its outcome is not known here yet");
  bool waits = a != nullptr && a->oldest_unfinished_write() < a->next_ticket;
  if (!waits && cache_is_current(self, false)) {
    // The common case, without a promise.
    if (!st.cache.exists())
      return make_not_found_error(st.cache);
    return st.cache;
  }
  auto rp = self->make_response_promise<record>();
  if (waits)
    a->gets.push_back(parked_get{a->next_ticket, rp});
  else
    answer_committed(self, rp, false, true);
  return rp;
}

void answer_parked_gets(entity_ptr self) {
  auto* a = self->state.activity.get();
  if (a == nullptr || a->gets.empty())
    return;
  auto oldest = a->oldest_unfinished_write();
  auto ready = std::find_if(a->gets.begin(), a->gets.end(),
                            [&](const parked_get& g) {
                              return g.barrier > oldest;
                            });
  std::vector<parked_get> now{std::make_move_iterator(a->gets.begin()),
                              std::make_move_iterator(ready)};
  a->gets.erase(a->gets.begin(), ready);
  for (auto& g : now)
    answer_committed(self, std::move(g.rp), false, true);
}

} // namespace entact::detail
