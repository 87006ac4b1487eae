#pragma once

#include <functional>

#include <caf/expected.hpp>

#include "entact/watch_event.hpp"

namespace entact {

/// Receives a watch's events in version order (see `database::watch`),
/// one call at a time per watch. An error is the last call: `closed` (the
/// engine or client closed), `unreachable` (the connection to the server
/// dropped), or whatever made the watch fail to start. Runs on one of the
/// engine's (or client's) threads: it should return quickly, since a slow
/// one makes its watch lag, and a remote client's watches share a thread.
using watch_callback = std::function<void(caf::expected<watch_event>)>;

/// Owns a running watch: `cancel`, or destroying the handle, ends it.
/// Movable, not copyable. Safe to destroy after its database.
class watch_handle {
public:
  watch_handle() = default;

  /// A handle whose `cancel` runs `stop` (once).
  explicit watch_handle(std::function<void()> stop);

  watch_handle(watch_handle&& other) noexcept;
  watch_handle& operator=(watch_handle&& other) noexcept;
  watch_handle(const watch_handle&) = delete;
  watch_handle& operator=(const watch_handle&) = delete;

  /// Cancels the watch.
  ~watch_handle();

  /// Ends the watch. Once it returns, the callback is not running and is
  /// not called again (called from inside the callback: not called again
  /// after it returns). Idempotent.
  void cancel();

  /// True until `cancel` (or a move from this handle).
  bool active() const noexcept {
    return static_cast<bool>(stop_);
  }

private:
  std::function<void()> stop_;
};

} // namespace entact
