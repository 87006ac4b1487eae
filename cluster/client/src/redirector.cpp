#include "redirector.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/send.hpp>

namespace entact::detail {

namespace {

using run_atom = caf::atom_constant<caf::atom("cl_run")>;

caf::behavior run_deferred(caf::event_based_actor*) {
  return {[](run_atom, deferred_call& call) { call.run(); }};
}

} // namespace

redirector::redirector() {
  // One scheduler thread is plenty: the worker is detached.
  cfg_.set("scheduler.max-threads", 1);
  sys_ = std::make_unique<caf::actor_system>(cfg_);
  worker_ = sys_->spawn<caf::detached>(run_deferred);
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
