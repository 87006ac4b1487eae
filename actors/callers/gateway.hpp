#pragma once

#include <atomic>
#include <functional>
#include <memory>

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>

#include "internal.hpp"

namespace entact::detail {

/// One request a gateway makes on behalf of a caller that is not an actor.
/// Exactly one of the two paths reports the outcome.
struct relayed_call {
  /// Tells whether the call is still open, closing it: an answer that
  /// arrives after `fail` ran must be dropped.
  using settle_fn = std::function<bool()>;
  /// Sends the request from the gateway `self`; its handlers call `settle`
  /// and report the answer only if it returns true.
  std::function<void(caf::event_based_actor* self, settle_fn settle)> send;
  /// Reports that the target went away, or the deadline passed, before the
  /// answer arrived.
  std::function<void(const caf::error&)> fail;
  /// How long the gateway waits for the answer before `fail(timeout)`.
  caf::timespan timeout{0};
};

/// Relays a call: `(relay_atom, relayed_call)`.
using relay_atom = caf::atom_constant<caf::atom("g_relay")>;

/// An actor that makes requests for callers that are not actors. It keeps
/// their deadlines itself, checked on one periodic tick, rather than a CAF
/// request timeout per call: each of those costs the actor clock thread an
/// insertion and a cancellation (measured: ~10% of all CPU time in W3). It
/// monitors `target`: when that goes away (a remote server's connection
/// drops), every call in flight and every later one fails at once with
/// `errc::unreachable` instead of waiting for its deadline -- whichever
/// actor a call was sent to, since all of a remote server's actors go with
/// its connection. `gone` is raised at the same moment, so callers can
/// refuse new calls without a round trip.
caf::actor spawn_gateway(caf::actor_system& sys, caf::actor target,
                         std::shared_ptr<std::atomic<bool>> gone);

} // namespace entact::detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(entact::detail::relayed_call)
