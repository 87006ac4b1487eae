#pragma once

// One pending timer for many deadlines.

#include <algorithm>
#include <chrono>

namespace entact::detail {

/// Makes sure `self` is sent `msg` by `when`, keeping one timer pending for
/// the earliest of its deadlines instead of one per deadline: `due` is when
/// the earliest timer armed is due (the epoch: none). The handler of `msg`
/// must look at every deadline and arm the next one, after clearing `due`
/// once `due` has passed (a later timer may still come: harmless). A timer
/// per deadline cost a message through CAF's clock thread each, and kept
/// its receiver alive until it fired (profile of W3: the clock thread took
/// 7% of the CPU).
template <class Self, class Msg>
void send_by(Self* self, std::chrono::steady_clock::time_point& due,
             std::chrono::steady_clock::time_point when, Msg msg) {
  using clock = std::chrono::steady_clock;
  if (due != clock::time_point{} && due <= when)
    return;
  due = when;
  auto wait = std::max(when - clock::now(), clock::duration::zero());
  self->delayed_send(self, wait, msg);
}

} // namespace entact::detail
