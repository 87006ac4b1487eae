#pragma once

#include <caf/logger.hpp>

namespace entact::detail {

/// CAF 0.17 pins an actor system's logger to a thread that constructs the
/// system, spawns in it or makes a scoped actor in it, and ~actor_system
/// waits until every pin is gone: a caller's thread that outlives the
/// system (an HTTP worker, a service's pool, the cluster client's map
/// thread closing node clients) made its close hang. Drops the pin again
/// when the scope ends, unless the thread had one before (CAF's own
/// threads).
class logger_unpin {
public:
  logger_unpin() : had_(caf::logger::current_logger() != nullptr) {
  }

  ~logger_unpin() {
    if (!had_)
      caf::logger::set_current_actor_system(nullptr);
  }

  logger_unpin(const logger_unpin&) = delete;
  logger_unpin& operator=(const logger_unpin&) = delete;

private:
  bool had_;
};

} // namespace entact::detail
