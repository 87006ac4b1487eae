#pragma once

#include <mutex>
#include <utility>

#include "entact/watch.hpp"

namespace entact::detail {

/// The watcher's end of a watch: its callback, and the cancel that stops
/// it. A callback runs under the sink's lock, so once `cancel` returns it
/// is not running (recursive: a callback may cancel its own watch).
class watch_sink {
public:
  explicit watch_sink(watch_callback cb)
    : cb_(std::move(cb)), cancelled_(!cb_) {
    // nop
  }

  /// Calls the callback with `x` unless cancelled; false if cancelled.
  bool deliver(caf::expected<watch_event> x) {
    std::lock_guard<std::recursive_mutex> guard{mtx_};
    if (cancelled_)
      return false;
    cb_(std::move(x));
    return !cancelled_;
  }

  /// Delivers `why` as the last call (if not cancelled) and cancels.
  void finish(caf::error why) {
    std::lock_guard<std::recursive_mutex> guard{mtx_};
    if (!cancelled_ && why)
      cb_(std::move(why));
    cancelled_ = true;
  }

  // The callback itself stays until the sink goes: a callback that
  // cancels its own watch is still running.
  void cancel() {
    std::lock_guard<std::recursive_mutex> guard{mtx_};
    cancelled_ = true;
  }

private:
  std::recursive_mutex mtx_;
  watch_callback cb_;
  bool cancelled_ = false;
};

} // namespace entact::detail
