#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <caf/expected.hpp>

#include "entact/cluster/cluster_admin.hpp"
#include "entact/cluster/cluster_names.hpp"
#include "entact/cluster/zk_session.hpp"

namespace entact::detail {

/// A cluster client's copy of the map, kept current by ZooKeeper watches:
/// every read sets watches on the member list and the shard records, and a
/// thread of its own reads again when one fires, when the session
/// reconnects, when asked (`poke`), and every `retry_pause` after a read
/// that failed. A session that expires is replaced by a new one (the map
/// stays as last read meanwhile).
class map_follower {
public:
  /// Called with each map read (on the follower's thread, or on the thread
  /// calling `refresh`).
  using view_callback
    = std::function<void(const std::shared_ptr<const cluster::cluster_view>&)>;

  /// Opens a session (waiting at most `connect_timeout`), reads the map
  /// and starts following it. Errors: those of `zk_session::open` and
  /// `read_cluster`.
  static caf::expected<std::unique_ptr<map_follower>>
  start(cluster::cluster_address where,
        std::chrono::milliseconds connect_timeout, view_callback on_view);

  /// Stops the thread and closes the session.
  ~map_follower();

  map_follower(const map_follower&) = delete;
  map_follower& operator=(const map_follower&) = delete;

  /// The map as last read.
  std::shared_ptr<const cluster::cluster_view> view() const;

  /// Asks the thread to read the map now (a caller was redirected: the map
  /// may have changed before its watch fired); returns at once.
  void poke();

  /// How soon a read that failed (or a session that could not be opened)
  /// is tried again.
  static constexpr std::chrono::seconds retry_pause{1};

private:
  map_follower(cluster::cluster_address where,
               std::chrono::milliseconds connect_timeout,
               view_callback on_view);

  caf::error open_session();
  void run();
  /// Reads the map (setting the watches again); false, keeping the last
  /// one, if ZooKeeper did not answer.
  bool refresh();
  /// Opens a session in place of an expired one; false if none opened.
  bool replace_session();
  void publish(cluster::cluster_view view);

  cluster::cluster_address where_;
  std::chrono::milliseconds connect_timeout_;
  view_callback on_view_;
  /// Held while the session is used or replaced.
  std::mutex zk_mtx_;
  std::unique_ptr<cluster::zk_session> zk_;
  mutable std::mutex view_mtx_;
  std::shared_ptr<const cluster::cluster_view> view_;
  /// What the thread waits on: a change, a reconnect, an expiry, `poke`.
  std::mutex mtx_;
  std::condition_variable wake_;
  bool changed_ = false;
  bool expired_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

} // namespace entact::detail
