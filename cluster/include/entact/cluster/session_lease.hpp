#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "entact/cluster/zk_session.hpp"

namespace entact::cluster {

/// Fencing by session timeout: a node may write only while it can prove
/// its session is alive on the server. The proof is the send time of a
/// request whose answer came back: the server heard from the session no
/// earlier than that, and keeps a session at least its timeout after it
/// last heard from it. So the lease runs until send time + `fraction` of
/// the granted timeout (less than all of it, for clock-rate drift between
/// the machines).
///
/// A thread refreshes it with a cheap asynchronous `exists` every quarter
/// of the timeout. `valid()` reads the monotonic clock: after the process
/// was frozen (SIGSTOP) past the timeout, the lease is stale at the first
/// look, before ZooKeeper's expiry event has even arrived.
class session_lease {
public:
  /// Starts refreshing through `zk` (which must outlive the lease) by
  /// probing `probe_path` (any path: "no node" is an answer too).
  session_lease(zk_session& zk, std::string probe_path, double fraction = 0.8);

  /// Stops the refresher thread.
  ~session_lease();

  session_lease(const session_lease&) = delete;
  session_lease& operator=(const session_lease&) = delete;

  /// True if the lease runs past `now`.
  bool valid(std::chrono::steady_clock::time_point now
             = std::chrono::steady_clock::now()) const;

  /// The end of the lease (the epoch of the steady clock if never proven).
  std::chrono::steady_clock::time_point valid_until() const;

  /// Sends one probe now (the thread also does, every timeout / 4).
  void refresh();

  /// The shared end of the lease: probes in flight may answer after the
  /// lease object is gone, and readers may keep it to check without a lock.
  struct state {
    /// The end, in steady-clock ticks since its epoch.
    std::atomic<int64_t> until{0};

    bool valid(std::chrono::steady_clock::time_point now) const {
      return now.time_since_epoch().count() < until.load();
    }
  };

  /// The end of the lease, shared (for readers on other threads).
  std::shared_ptr<const state> shared_state() const {
    return state_;
  }

private:
  void run();

  zk_session& zk_;
  std::string probe_path_;
  std::chrono::steady_clock::duration length_;
  std::shared_ptr<state> state_ = std::make_shared<state>();
  std::mutex mtx_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread refresher_;
};

} // namespace entact::cluster
