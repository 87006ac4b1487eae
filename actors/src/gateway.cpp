#include "gateway.hpp"

#include <unordered_map>

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
  /// How to fail each call in flight, should the target go away first.
  std::unordered_map<uint64_t, std::function<void(const caf::error&)>> calls;
  caf::error gone;
  static inline const char* name = "entact.gateway";
};

using self_ptr = caf::stateful_actor<gateway_state>*;

void relay(self_ptr self, relayed_call& call) {
  if (self->state.gone) {
    call.fail(self->state.gone);
    return;
  }
  auto seq = self->state.next++;
  self->state.calls.emplace(seq, std::move(call.fail));
  call.send(self, [self, seq] { return self->state.calls.erase(seq) > 0; });
}

void fail_all(self_ptr self, const caf::down_msg& dm) {
  self->state.gone = make_error(errc::unreachable,
                                "the server went away: "
                                  + to_string(dm.reason));
  auto calls = std::move(self->state.calls);
  self->state.calls.clear();
  for (auto& kvp : calls)
    kvp.second(self->state.gone);
}

caf::behavior gateway(self_ptr self, caf::actor target,
                      std::shared_ptr<std::atomic<bool>> gone) {
  self->monitor(target);
  self->set_down_handler([self, gone](caf::down_msg& dm) {
    *gone = true;
    fail_all(self, dm);
  });
  return {
    [self](relay_atom, relayed_call& call) { relay(self, call); },
  };
}

} // namespace

caf::actor spawn_gateway(caf::actor_system& sys, caf::actor target,
                         std::shared_ptr<std::atomic<bool>> gone) {
  return sys.spawn(gateway, std::move(target), std::move(gone));
}

} // namespace entact::detail
