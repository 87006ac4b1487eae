#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <tuple>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/send.hpp>

#include "entact/errc.hpp"
#include "callers/gateway.hpp"
#include "internal.hpp"

namespace entact::detail {

/// Where calls from threads that are not actors enter an actor system:
/// a few gateway actors turn them into requests with deadlines, and a
/// counter of calls in flight lets `close` wait until every accepted call
/// was answered. Shared by the embedded engine and the remote client.
///
/// Admission control: at most `max_in_flight` calls are in flight at once,
/// so latency stays bounded when callers offer more than the engine can
/// take. Past it an asynchronous call is answered `overloaded` at once; a
/// blocking call waits for a free slot within its deadline (its thread is
/// the caller's own back-pressure), then fails with `overloaded`.
class call_gate {
public:
  /// Spawns `n` gateways; entity calls go to `target`, with deadline
  /// `timeout`, at most `max_in_flight` at once (0: no bound). Losing
  /// `target` fails every call (see `spawn_gateway`).
  void start(caf::actor_system& sys, router_api target,
             caf::timespan timeout, size_t n, size_t max_in_flight = 0);

  /// Counts a call in flight, or refuses it once closing has begun. The
  /// count goes up before the check, so `drain` never misses a call.
  bool enter();

  /// Ends a call counted by `enter` or `admit`.
  void leave();

  /// Counts a call in flight within the bound: no error if admitted;
  /// `closed`, or `overloaded` (at once unless `wait`, else once the
  /// deadline passes without a free slot).
  caf::error admit(bool wait);

  /// Set once the target went away (a remote server's connection dropped):
  /// new calls fail at once without being sent.
  bool target_gone() const noexcept {
    return *gone_;
  }

  static caf::error gone_error();

  /// Calls refused with `overloaded` so far, and calls in flight now
  /// (`engine_stats`).
  uint64_t overloaded() const noexcept {
    return overloaded_.load();
  }
  uint64_t in_flight() const noexcept {
    auto n = outstanding_.load();
    return n > 0 ? static_cast<uint64_t>(n) : 0;
  }

  static caf::error closed_error();

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

  /// The error that refuses a new call, if any: closed, or target gone.
  caf::error refusal() const;

  /// Refuses new calls and waits (at most `limit`) for those in flight.
  /// Returns false if it was already closed.
  bool close_and_drain(caf::timespan limit);

  /// Stops the gateways.
  void stop();

  bool closed() const noexcept {
    return closed_;
  }

  /// Sends `(xs...)` to the target for entity `key`; `done` gets the
  /// outcome. One entity always uses the same gateway, so calls on it from
  /// one thread reach the target in the order they were made.
  template <class... Ts>
  void send_async(const entity_id& key, record_callback done, Ts&&... xs) {
    if (auto err = admit(false)) {
      done(std::move(err));
      return;
    }
    send_admitted(key, std::move(done), std::forward<Ts>(xs)...);
  }

  /// `send_async`, waiting for the outcome (and for a free slot).
  template <class... Ts>
  caf::expected<record> call(const entity_id& key, Ts&&... xs) {
    if (auto err = admit(true))
      return err;
    auto p = std::make_shared<std::promise<caf::expected<record>>>();
    auto f = p->get_future();
    send_admitted(
      key, [p](caf::expected<record> r) { p->set_value(std::move(r)); },
      std::forward<Ts>(xs)...);
    return wait(std::move(f), timeout_);
  }

  /// A blocking request to `dest` (any actor of the target's system),
  /// counted like any call.
  template <class T, class Handle, class... Ts>
  caf::expected<T> request(const Handle& dest, Ts&&... xs) {
    if (auto err = refusal())
      return err;
    if (auto err = admit(true))
      return err;
    auto res = relay<T>(dest, timeout_, std::forward<Ts>(xs)...);
    leave();
    return res;
  }

  /// A blocking request within a call already counted (the steps of a
  /// transaction), with its own deadline.
  template <class T, class Handle, class... Ts>
  caf::expected<T> relay(const Handle& dest, caf::timespan timeout,
                         Ts&&... xs) {
    return relay_or_undo<T>(dest, timeout, nullptr, std::forward<Ts>(xs)...);
  }

  /// What a gateway does with an answer that arrived after its call had
  /// failed (deadline passed): e.g. end a transaction nobody will commit.
  template <class T>
  using undo_fn = std::function<void(caf::event_based_actor*, T&)>;

  /// `relay`, running `undo` on an answer that comes too late.
  template <class T, class Handle, class... Ts>
  caf::expected<T> relay_or_undo(const Handle& dest, caf::timespan timeout,
                                 undo_fn<T> undo, Ts&&... xs) {
    auto p = std::make_shared<std::promise<caf::expected<T>>>();
    auto f = p->get_future();
    send_relayed<T>(
      next_gateway(), dest, timeout,
      [p](caf::expected<T> r) { p->set_value(std::move(r)); },
      std::move(undo), std::forward<Ts>(xs)...);
    return wait(std::move(f), timeout);
  }

private:
  /// Sends an admitted call; `leave`s once `done` has run.
  template <class... Ts>
  void send_admitted(const entity_id& key, record_callback done, Ts&&... xs) {
    auto wrapped = [this, done = std::move(done)](caf::expected<record> r) {
      done(std::move(r));
      leave();
    };
    send_relayed<record>(pick(key), target_, timeout_, std::move(wrapped),
                         nullptr, std::forward<Ts>(xs)...);
  }

  /// Has `gateway` send `(xs...)` to `dest` with deadline `timeout`; `done`
  /// gets the answer, the loss of the target, or `timeout`, exactly once.
  template <class T, class Handle, class... Ts>
  static void send_relayed(const caf::actor& gateway, Handle dest,
                           caf::timespan timeout,
                           std::function<void(caf::expected<T>)> done,
                           undo_fn<T> undo, Ts&&... xs) {
    auto report = std::make_shared<decltype(done)>(std::move(done));
    relayed_call call;
    call.fail = [report](const caf::error& err) { (*report)(err); };
    call.timeout = timeout; // kept by the gateway, see `spawn_gateway`
    call.send = [report, undo = std::move(undo), dest = std::move(dest),
                 args = std::make_tuple(std::forward<Ts>(xs)...)](
                  caf::event_based_actor* self,
                  relayed_call::settle_fn settle) mutable {
      auto send = [&](auto&... ys) {
        return self->request(dest, caf::infinite, std::move(ys)...);
      };
      std::apply(send, args).then(
        [self, report, undo, settle](T& x) {
          if (settle())
            (*report)(std::move(x));
          else if (undo)
            undo(self, x);
        },
        [report, settle](caf::error& err) {
          if (settle())
            (*report)(normalize(std::move(err)));
        });
    };
    caf::anon_send(gateway, relay_atom::value, std::move(call));
  }

  /// Waits for a relayed answer. The request's own deadline answers first;
  /// this one only guards against a gateway that died.
  template <class T>
  static caf::expected<T> wait(std::future<caf::expected<T>> f,
                               caf::timespan timeout) {
    if (f.wait_for(timeout + std::chrono::seconds{5})
        != std::future_status::ready)
      return make_error(errc::timeout, "no answer");
    return f.get();
  }

  const caf::actor& pick(const entity_id& key) const;

  const caf::actor& next_gateway();

  std::vector<caf::actor> gateways_;
  router_api target_;
  std::shared_ptr<std::atomic<bool>> gone_
    = std::make_shared<std::atomic<bool>>(false);
  caf::timespan timeout_{0};
  int64_t max_in_flight_ = 0;
  std::atomic<bool> closed_{false};
  std::atomic<int64_t> outstanding_{0};
  std::atomic<uint64_t> overloaded_{0};
  /// Blocking calls waiting in `admit` for a slot (woken by `leave`).
  std::atomic<int64_t> waiting_{0};
  std::condition_variable slot_free_;
  std::atomic<size_t> rotation_{0};
  std::mutex mtx_;
  std::condition_variable idle_;
};

} // namespace entact::detail
