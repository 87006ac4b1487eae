#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <set>

#include "gateway_metrics.hpp"
#include "watch_handoff.hpp"

namespace entact::http {

/// The gateway's open watch streams: at most `max` at once (each holds a
/// cpp-httplib thread while open), and all woken and ended when the
/// listener stops. Thread-safe.
class watch_streams {
public:
  /// An open stream's place; ending the stream (destroying it) frees it.
  class slot {
  public:
    slot(watch_streams& owner, std::shared_ptr<watch_handoff> handoff);
    ~slot();
    slot(const slot&) = delete;
    slot& operator=(const slot&) = delete;

  private:
    watch_streams& owner_;
    std::shared_ptr<watch_handoff> handoff_;
  };

  watch_streams(size_t max, gateway_metrics& metrics);

  /// A place for a stream fed through `handoff`; null (counted as refused)
  /// if `max` are open or the listener is stopping.
  std::unique_ptr<slot> open(std::shared_ptr<watch_handoff> handoff);

  /// Refuses new streams and wakes the open ones to end.
  void stop_all();

  gateway_metrics& metrics() {
    return metrics_;
  }

private:
  void close(const std::shared_ptr<watch_handoff>& handoff);

  const size_t max_;
  gateway_metrics& metrics_;
  std::mutex mtx_;
  std::set<std::shared_ptr<watch_handoff>> open_;
  bool stopping_ = false;
};

} // namespace entact::http
