#include "entact/serve.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <limits>

#include <caf/io/middleman.hpp>
#include <caf/io/network/multiplexer.hpp>
#include <caf/scoped_actor.hpp>

#include "entact/engine.hpp"
#include "entact/errc.hpp"
#include "entact/saturating.hpp"
#include "frame_guard.hpp"
#include "guard_doorman.hpp"
#include "private_endpoint.hpp"

namespace entact {

namespace {

using detail::add_sat;
using detail::mul_sat;

/// BASP's payload length is a u32: a larger limit is no limit.
constexpr size_t basp_max_payload = std::numeric_limits<uint32_t>::max();

} // namespace

size_t default_max_frame_bytes(const engine_options& opts) {
  constexpr size_t mib = 1024 * 1024;
  auto entity = add_sat(opts.limits.max_value_bytes, opts.limits.max_id_bytes);
  auto read = mul_sat(opts.limits.max_read_ids, opts.limits.max_id_bytes);
  auto largest = std::max(mul_sat(entity, opts.max_txn_entities), read);
  auto request = mul_sat(largest, 2);
  auto limit = std::max(add_sat(request, mib), 16 * mib);
  return std::min(limit, basp_max_payload);
}

// Weak references only: after the engine closes, its actor system is gone,
// and releasing a strong reference would destroy an actor without it.
struct listener::impl {
  caf::actor_system* sys = nullptr;
  caf::weak_actor_ptr door;
  uint16_t port = 0;
  size_t max_frame_bytes = 0;
  caf::weak_actor_ptr guard;
  std::shared_ptr<std::atomic<bool>> door_gone;
  bool stopped = false;
};

listener::listener(std::unique_ptr<impl> ptr) : impl_(std::move(ptr)) {
  // nop
}

listener::~listener() {
  stop();
}

uint16_t listener::port() const noexcept {
  return impl_->port;
}

size_t listener::max_frame_bytes() const noexcept {
  return impl_->max_frame_bytes;
}

void listener::stop() {
  if (impl_->stopped)
    return;
  impl_->stopped = true;
  // The front door is gone: the engine is closing or closed, its actor
  // system may no longer exist, and the guard stopped with the door.
  if (*impl_->door_gone)
    return;
  if (auto guard = caf::actor_cast<caf::actor>(impl_->guard.lock())) {
    caf::scoped_actor self{*impl_->sys};
    self->request(guard, std::chrono::seconds{10},
                  detail::guard_stop_atom::value)
      .receive([](bool) {}, [](const caf::error&) {});
  }
  // The private endpoint is filed under the public port.
  if (auto door = caf::actor_cast<caf::actor>(impl_->door.lock()))
    impl_->sys->middleman().unpublish(door, impl_->port);
}

caf::expected<std::unique_ptr<listener>> serve(engine& eng,
                                               serve_options opts) {
  auto door = eng.front_door();
  if (!door)
    return make_error(errc::invalid_argument, "the engine is closed");
  auto& sys = eng.system();
  if (!sys.has_middleman())
    return make_error(errc::invalid_argument,
                      "the engine's actor system has no middleman (load "
                      "caf::io::middleman in its config)");
  if (opts.handshake_timeout.count() <= 0)
    return make_error(errc::invalid_argument,
                      "the handshake timeout must be positive");
  detail::tls_context_ptr tls;
  if (opts.tls.enabled()) {
    auto ctx = detail::make_server_context(opts.tls);
    if (!ctx)
      return std::move(ctx.error());
    tls = std::move(*ctx);
  }
  auto limit = opts.max_frame_bytes == 0
                 ? default_max_frame_bytes(eng.options())
                 : std::min(opts.max_frame_bytes, basp_max_payload);
  auto& mm = sys.middleman();
  auto acceptor = detail::new_guard_doorman(mm, opts.port, opts.host,
                                           opts.reuse_address);
  if (!acceptor)
    return std::move(acceptor.error());
  auto port = (*acceptor)->port();
  auto log = opts.log;
  if (!log)
    log = [](const std::string& line) {
      std::cerr << "entact: " << line << std::endl;
    };
  auto endpoint = detail::publish_privately(
    sys, caf::actor_cast<caf::actor>(door), sys.message_types(door), port,
    log);
  if (!endpoint)
    return std::move(endpoint.error()); // the acceptor closes with its ptr
  auto st = std::make_unique<listener::impl>();
  st->sys = &sys;
  st->door = caf::actor_cast<caf::weak_actor_ptr>(door);
  st->port = port;
  st->max_frame_bytes = limit;
  st->door_gone = std::make_shared<std::atomic<bool>>(false);
  caf::actor_cast<caf::abstract_actor*>(door)->attach_functor(
    [flag = st->door_gone] { *flag = true; });
  detail::frame_guard_config cfg;
  cfg.endpoint = endpoint->name;
  cfg.max_frame_bytes = limit;
  cfg.max_queued_bytes = std::max<size_t>(opts.max_queued_bytes, 1);
  cfg.max_in_flight = std::max<size_t>(opts.max_in_flight, 1);
  cfg.stall_timeout = std::max(opts.stall_timeout,
                               std::chrono::milliseconds{1});
  cfg.max_connections = opts.max_connections;
  cfg.max_connections_per_ip = opts.max_connections_per_ip;
  cfg.handshake_timeout = opts.handshake_timeout;
  cfg.door = door->id();
  cfg.log = std::move(log);
  cfg.tls = std::move(tls);
  auto guard = detail::spawn_frame_guard(sys, std::move(*acceptor),
                                         caf::actor_cast<caf::actor>(door),
                                         std::move(cfg),
                                         std::chrono::seconds{10});
  if (!guard) {
    sys.middleman().unpublish(caf::actor_cast<caf::actor>(door), port);
    return make_error(errc::timeout, "the frame guard did not start");
  }
  st->guard = caf::actor_cast<caf::weak_actor_ptr>(guard);
  // The guard goes before any of the engine's actors, connections or not,
  // while the actor system still runs (see `quit_frame_guard`).
  eng.on_close([&sys, weak = st->guard] {
    if (auto g = caf::actor_cast<caf::actor>(weak.lock()))
      detail::quit_frame_guard(sys, g, std::chrono::seconds{10});
  });
  return std::unique_ptr<listener>{new listener(std::move(st))};
}

} // namespace entact
