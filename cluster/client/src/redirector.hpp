#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/allowed_unsafe_message_type.hpp>

namespace entact::detail {

/// A function to run later, as a message.
struct deferred_call {
  std::function<void()> run;
};

/// Runs functions after a pause on a thread of its own (a detached CAF
/// actor, with CAF's clock for the pauses). The cluster client's
/// asynchronous calls wait out a redirect's pause here and are sent again
/// from here -- which may block (connecting to a node), so never on the
/// thread of a callback.
class redirector {
public:
  redirector();

  /// Stops the actor; functions whose pause has not run out are dropped
  /// (the owner waits for those it scheduled first).
  ~redirector();

  redirector(const redirector&) = delete;
  redirector& operator=(const redirector&) = delete;

  /// Runs `f` on the redirector's thread once `pause` has passed.
  void later(std::chrono::milliseconds pause, std::function<void()> f);

private:
  caf::actor_system_config cfg_;
  std::unique_ptr<caf::actor_system> sys_;
  caf::actor worker_;
};

} // namespace entact::detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(entact::detail::deferred_call)
