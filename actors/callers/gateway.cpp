#include "callers/gateway.hpp"

#include <chrono>
#include <unordered_map>
#include <vector>

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

using clock = std::chrono::steady_clock;

/// The gateway's deadline check.
using tick_atom = caf::atom_constant<caf::atom("g_tick")>;

/// How often deadlines are checked while calls are in flight: a call fails
/// with `timeout` at most this late.
constexpr auto tick_interval = std::chrono::milliseconds{20};

struct pending_call {
  clock::time_point deadline;
  /// How to fail the call, should its answer not come first.
  std::function<void(const caf::error&)> fail;
};

struct gateway_state {
  uint64_t next = 0;
  std::unordered_map<uint64_t, pending_call> calls;
  bool ticking = false;
  caf::error gone;
  static inline const char* name = "entact.gateway";
};

using gateway_self = caf::stateful_actor<gateway_state>*;

void arm_tick(gateway_self self) {
  auto& st = self->state;
  if (st.ticking || st.calls.empty())
    return;
  st.ticking = true;
  self->delayed_send(self, tick_interval, tick_atom::value);
}

void expire_overdue(gateway_self self) {
  auto& st = self->state;
  st.ticking = false;
  auto now = clock::now();
  std::vector<std::function<void(const caf::error&)>> overdue;
  for (auto i = st.calls.begin(); i != st.calls.end();) {
    if (i->second.deadline <= now) {
      overdue.push_back(std::move(i->second.fail));
      i = st.calls.erase(i);
    } else {
      ++i;
    }
  }
  for (auto& fail : overdue)
    fail(make_error(errc::timeout, "no answer before the deadline"));
  arm_tick(self);
}

void relay(gateway_self self, relayed_call& call) {
  if (self->state.gone) {
    call.fail(self->state.gone);
    return;
  }
  auto seq = self->state.next++;
  auto deadline = clock::now()
                  + std::chrono::duration_cast<clock::duration>(call.timeout);
  self->state.calls.emplace(seq, pending_call{deadline, std::move(call.fail)});
  arm_tick(self);
  call.send(self, [self, seq] { return self->state.calls.erase(seq) > 0; });
}

void fail_all(gateway_self self, const caf::down_msg& dm) {
  self->state.gone = make_error(errc::unreachable,
                                "the server went away: "
                                  + to_string(dm.reason));
  auto calls = std::move(self->state.calls);
  self->state.calls.clear();
  for (auto& kvp : calls)
    kvp.second.fail(self->state.gone);
}

caf::behavior gateway(gateway_self self, caf::actor target,
                      std::shared_ptr<std::atomic<bool>> gone) {
  self->monitor(target);
  self->set_down_handler([self, gone](caf::down_msg& dm) {
    *gone = true;
    fail_all(self, dm);
  });
  return {
    [self](relay_atom, relayed_call& call) { relay(self, call); },
    [self](tick_atom) { expire_overdue(self); },
  };
}

} // namespace

caf::actor spawn_gateway(caf::actor_system& sys, caf::actor target,
                         std::shared_ptr<std::atomic<bool>> gone) {
  return sys.spawn(gateway, std::move(target), std::move(gone));
}

} // namespace entact::detail
