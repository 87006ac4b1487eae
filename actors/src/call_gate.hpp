#pragma once

#include <atomic>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "entact/errc.hpp"
#include "internal.hpp"

namespace entact::detail {

/// One blocking round trip to `dest` on behalf of `self`, its error in
/// entact's category.
template <class T, class Handle, class... Ts>
caf::expected<T> blocking_call(caf::scoped_actor& self, const Handle& dest,
                               caf::timespan timeout, Ts&&... xs) {
  caf::expected<T> result = make_error(errc::timeout);
  self->request(dest, timeout, std::forward<Ts>(xs)...)
    .receive([&](T& x) { result = std::move(x); },
             [&](caf::error& err) { result = normalize(err); });
  return result;
}

/// Where calls from threads that are not actors enter an actor system:
/// a few gateway actors turn them into requests with deadlines, and a
/// counter of calls in flight lets `close` wait until every accepted call
/// was answered. Shared by the embedded engine and the remote client.
class call_gate {
public:
  /// Spawns `n` gateways sending to `target` with deadline `timeout`.
  void start(caf::actor_system& sys, router_api target,
             caf::timespan timeout, size_t n);

  /// Counts a call in flight, or refuses it once closing has begun. The
  /// count goes up before the check, so `drain` never misses a call.
  bool enter();

  /// Set once the target went away (a remote server's connection dropped):
  /// CAF 0.17 silently drops messages sent to a dead remote proxy, so calls
  /// that do not go through a gateway must check this first.
  bool target_gone() const noexcept {
    return *gone_;
  }

  static caf::error gone_error();

  /// Ends a call counted by `enter`.
  void leave();

  /// Counts one call for its scope (see `enter`); `entered()` tells whether
  /// the gate was open. Leaves even if the call throws.
  class scope {
  public:
    explicit scope(call_gate& gate) : gate_(gate), in_(gate.enter()) {
      // nop
    }
    ~scope() {
      if (in_)
        gate_.leave();
    }
    scope(const scope&) = delete;
    scope& operator=(const scope&) = delete;
    bool entered() const noexcept {
      return in_;
    }

  private:
    call_gate& gate_;
    bool in_;
  };

  /// Refuses new calls and waits (at most `limit`) for those in flight.
  /// Returns false if it was already closed.
  bool close_and_drain(caf::timespan limit);

  /// Stops the gateways.
  void stop();

  bool closed() const noexcept {
    return closed_;
  }

  /// Sends `(xs..., callback)` to the gateway of entity `key`; `done` gets
  /// the outcome. One entity always uses the same gateway, so calls on it
  /// from one thread reach it in the order they were made.
  template <class... Ts>
  void send_async(const entity_id& key, record_callback done, Ts&&... xs) {
    if (!enter()) {
      done(closed_error());
      return;
    }
    auto wrapped = [this, done = std::move(done)](caf::expected<record> r) {
      done(std::move(r));
      leave();
    };
    caf::anon_send(pick(key), std::forward<Ts>(xs)...,
                   record_callback{std::move(wrapped)});
  }

  /// `send_async`, waiting for the outcome.
  template <class... Ts>
  caf::expected<record> call(const entity_id& key, Ts&&... xs) {
    auto p = std::make_shared<std::promise<caf::expected<record>>>();
    auto f = p->get_future();
    send_async(
      key, [p](caf::expected<record> r) { p->set_value(std::move(r)); },
      std::forward<Ts>(xs)...);
    return wait(std::move(f));
  }

  /// Waits for a result of `send_async`. The gateway's deadline answers
  /// first; this one only guards against a gateway that died.
  caf::expected<record> wait(std::future<caf::expected<record>> f);

  /// A blocking request from a scoped actor, counted like any call; for
  /// rare calls that need no gateway (stats, batches).
  template <class T, class Handle, class... Ts>
  caf::expected<T> request(caf::actor_system& sys, const Handle& dest,
                           Ts&&... xs) {
    if (target_gone())
      return gone_error();
    scope call{*this};
    if (!call.entered())
      return closed_error();
    caf::scoped_actor self{sys};
    return blocking_call<T>(self, dest, timeout_, std::forward<Ts>(xs)...);
  }

  static caf::error closed_error();

private:
  const caf::actor& pick(const entity_id& key) const;

  std::vector<caf::actor> gateways_;
  std::shared_ptr<std::atomic<bool>> gone_
    = std::make_shared<std::atomic<bool>>(false);
  caf::timespan timeout_{0};
  std::atomic<bool> closed_{false};
  std::atomic<int64_t> outstanding_{0};
  std::mutex mtx_;
  std::condition_variable idle_;
};

} // namespace entact::detail
