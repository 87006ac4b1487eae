#include "redirector.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/send.hpp>

namespace entact::detail {

namespace {

using run_atom = caf::atom_constant<caf::atom("cl_run")>;

/// Runs each deferred call it is sent. A class, not a function: CAF
/// 0.17 spawns a function without arguments through a null
/// `shared_ptr<tuple<>>` it dereferences, which UBSan reports (and the
/// sanitizer run then stopped).
class deferred_runner : public caf::event_based_actor {
public:
  using caf::event_based_actor::event_based_actor;

  caf::behavior make_behavior() override {
    return {[](run_atom, deferred_call& call) { call.run(); }};
  }
};

} // namespace

redirector::redirector() {
  // One scheduler thread is plenty: the worker is detached.
  cfg_.set("scheduler.max-threads", 1);
  sys_ = std::make_unique<caf::actor_system>(cfg_);
  worker_ = sys_->spawn<deferred_runner, caf::detached>();
}

redirector::~redirector() {
  caf::anon_send_exit(worker_, caf::exit_reason::user_shutdown);
  worker_ = nullptr;
  sys_.reset(); // waits for the worker
}

void redirector::later(std::chrono::milliseconds pause,
                       std::function<void()> f) {
  caf::delayed_anon_send(worker_, pause, run_atom::value,
                         deferred_call{std::move(f)});
}

} // namespace entact::detail
