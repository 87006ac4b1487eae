#include "callers/call_gate.hpp"

#include <functional>

#include <caf/exit_reason.hpp>

namespace entact::detail {

void call_gate::start(caf::actor_system& sys, router_api target,
                      caf::timespan timeout, size_t n, size_t max_in_flight) {
  timeout_ = timeout;
  max_in_flight_ = static_cast<int64_t>(max_in_flight);
  target_ = target;
  for (size_t i = 0; i < n; ++i)
    gateways_.push_back(
      spawn_gateway(sys, caf::actor_cast<caf::actor>(target), gone_));
}

bool call_gate::enter() {
  ++outstanding_;
  if (!closed_)
    return true;
  leave();
  return false;
}

void call_gate::leave() {
  auto now = --outstanding_;
  if (now == 0 || waiting_ > 0) {
    std::lock_guard<std::mutex> guard{mtx_};
    if (now == 0)
      idle_.notify_all();
    slot_free_.notify_one();
  }
}

caf::error call_gate::admit(bool wait) {
  auto deadline = std::chrono::steady_clock::now() + timeout_;
  for (;;) {
    if (!enter())
      return closed_error();
    if (max_in_flight_ == 0 || outstanding_ <= max_in_flight_)
      return {};
    leave();
    if (!wait || std::chrono::steady_clock::now() >= deadline) {
      ++overloaded_;
      return make_error(errc::overloaded,
                        "more than " + std::to_string(max_in_flight_)
                          + " calls in flight");
    }
    std::unique_lock<std::mutex> guard{mtx_};
    ++waiting_;
    slot_free_.wait_until(guard, deadline, [this] {
      return closed_ || outstanding_ < max_in_flight_;
    });
    --waiting_;
  }
}

caf::error call_gate::refusal() const {
  if (closed_)
    return closed_error();
  if (target_gone())
    return gone_error();
  return {};
}

bool call_gate::close_and_drain(caf::timespan limit) {
  if (closed_.exchange(true))
    return false;
  std::unique_lock<std::mutex> guard{mtx_};
  slot_free_.notify_all(); // blocking calls waiting for a slot give up
  idle_.wait_for(guard, limit, [this] { return outstanding_ == 0; });
  return true;
}

void call_gate::stop() {
  for (auto& g : gateways_)
    caf::anon_send_exit(g, caf::exit_reason::user_shutdown);
  gateways_.clear();
  target_ = nullptr;
}

caf::error call_gate::gone_error() {
  return make_error(errc::unreachable, "the server went away");
}

caf::error call_gate::closed_error() {
  return make_error(errc::closed, "closed");
}

const caf::actor& call_gate::pick(const entity_id& key) const {
  return gateways_[std::hash<entity_id>{}(key) % gateways_.size()];
}

const caf::actor& call_gate::next_gateway() {
  return gateways_[rotation_++ % gateways_.size()];
}

} // namespace entact::detail
