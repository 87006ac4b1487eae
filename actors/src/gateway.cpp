#include "gateway.hpp"

#include <unordered_map>

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "entact/errc.hpp"

namespace entact::detail {

caf::error normalize(caf::error err) {
  if (!err || err.category() == error_category)
    return err;
  auto code = code_of(err);
  return make_error(code, to_string(err));
}

namespace {

struct gateway_state {
  uint64_t next = 0;
  /// Calls in flight: answered by the target, its deadline, or its loss.
  std::unordered_map<uint64_t, record_callback> calls;
  caf::error gone;
  static inline const char* name = "entact.gateway";
};

using self_ptr = caf::stateful_actor<gateway_state>*;

void answer(self_ptr self, uint64_t seq, caf::expected<record> outcome) {
  auto i = self->state.calls.find(seq);
  if (i == self->state.calls.end())
    return; // answered already, when the target went away
  auto done = std::move(i->second);
  self->state.calls.erase(i);
  done(std::move(outcome));
}

template <class... Ts>
void forward(self_ptr self, const router_api& target, caf::timespan timeout,
             record_callback done, Ts&&... xs) {
  if (self->state.gone) {
    done(self->state.gone);
    return;
  }
  auto seq = self->state.next++;
  self->state.calls.emplace(seq, std::move(done));
  self->request(target, timeout, std::forward<Ts>(xs)...)
    .then([self, seq](record& r) { answer(self, seq, std::move(r)); },
          [self, seq](caf::error& err) {
            answer(self, seq, normalize(std::move(err)));
          });
}

caf::behavior gateway(self_ptr self, router_api target,
                      caf::timespan timeout,
                      std::shared_ptr<std::atomic<bool>> gone) {
  self->monitor(target);
  self->set_down_handler([self, gone](caf::down_msg& dm) {
    *gone = true;
    self->state.gone = make_error(errc::unreachable,
                                  "the server went away: "
                                    + to_string(dm.reason));
    auto calls = std::move(self->state.calls);
    self->state.calls.clear();
    for (auto& kvp : calls)
      kvp.second(self->state.gone);
  });
  return {
    [=](write_atom a, write_op& op, record_callback& done) {
      forward(self, target, timeout, std::move(done), a, std::move(op));
    },
    [=](get_atom a, entity_id& id, record_callback& done) {
      forward(self, target, timeout, std::move(done), a, std::move(id));
    },
  };
}

} // namespace

caf::actor spawn_gateway(caf::actor_system& sys, router_api target,
                         caf::timespan timeout,
                         std::shared_ptr<std::atomic<bool>> gone) {
  return sys.spawn(gateway, std::move(target), timeout, std::move(gone));
}

} // namespace entact::detail
