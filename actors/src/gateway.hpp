#pragma once

#include <atomic>
#include <memory>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "internal.hpp"

namespace entact::detail {

/// An actor that turns `(write_atom, op, callback)` and
/// `(get_atom, id, callback)` into requests to `target` with a deadline and
/// calls `callback` exactly once with the outcome: the asynchronous API for
/// callers that are not actors. It monitors `target`: when that goes away
/// (a remote server's connection drops), every call in flight and every
/// later one fails at once with `errc::unreachable` instead of waiting for
/// its deadline.
/// `gone` is raised when `target` goes away, for callers that bypass the
/// gateways.
caf::actor spawn_gateway(caf::actor_system& sys, router_api target,
                         caf::timespan timeout,
                         std::shared_ptr<std::atomic<bool>> gone);

} // namespace entact::detail
