#pragma once

#include <atomic>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/send.hpp>

#include "entact/engine.hpp"
#include "entact/errc.hpp"
#include "entact/register_types.hpp"
#include "entact/storage/store.hpp"
#include "internal.hpp"
#include "txn_actor.hpp"

namespace entact {

/// Declaration order is destruction order in reverse: the store outlives
/// every actor that uses it, and the config outlives the system.
struct engine::impl {
  engine_options opts;
  std::unique_ptr<storage::store> store;
  entact::config cfg;
  std::unique_ptr<caf::actor_system> sys;
  detail::entity_context ctx;
  detail::router_actor router;
  detail::txn_context tctx;
  coordinator_api coordinator;
  std::vector<caf::actor> gateways;
  std::atomic<size_t> next_gateway{0};
  std::atomic<bool> closed{false};
  std::atomic<int64_t> outstanding{0};
  std::mutex mtx;
  std::condition_variable idle;

  const caf::actor& pick_gateway() {
    return gateways[next_gateway++ % gateways.size()];
  }

  /// Counts a call in flight, or refuses it once closing has begun. The
  /// count goes up before the check, so `close` never misses a call.
  bool enter() {
    ++outstanding;
    if (!closed)
      return true;
    leave();
    return false;
  }

  void leave() {
    if (--outstanding == 0) {
      std::lock_guard<std::mutex> guard{mtx};
      idle.notify_all();
    }
  }

  template <class... Ts>
  void send_async(record_callback done, Ts&&... xs) {
    if (!enter()) {
      done(make_error(errc::closed, "the engine is closed"));
      return;
    }
    auto wrapped = [this, done = std::move(done)](caf::expected<record> r) {
      done(std::move(r));
      leave();
    };
    caf::anon_send(pick_gateway(), std::forward<Ts>(xs)...,
                   record_callback{std::move(wrapped)});
  }

  caf::expected<record> wait(std::future<caf::expected<record>> f) {
    // The gateway's deadline answers first; this one only guards against
    // a gateway that died.
    auto guard = opts.request_timeout + std::chrono::seconds{5};
    if (f.wait_for(guard) != std::future_status::ready)
      return make_error(errc::timeout, "no answer from the engine");
    return f.get();
  }
};

} // namespace entact
