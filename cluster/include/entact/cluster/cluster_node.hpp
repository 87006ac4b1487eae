#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <caf/error.hpp>

#include "entact/cluster/cluster_names.hpp"
#include "entact/cluster/session_lease.hpp"
#include "entact/entity_id.hpp"

namespace entact::cluster {

/// A node's part in a cluster: its ZooKeeper session and membership, its
/// share of the assignment, the map it serves by and its fencing lease.
///
/// A thread keeps it up: opens a session, registers the member (retrying
/// while an earlier incarnation's session still holds the id), then every
/// quarter of the session timeout (at most 500 ms) assigns shards never owned yet
/// (once `min_members` are live) and re-reads the map. When the session
/// expires it starts over: a new session, a new registration, a fresh map
/// -- and serves nothing until then.
///
/// `admit` is the engine's admission check (`engine_options::admit`).
class cluster_node {
public:
  struct options {
    cluster_address where;
    std::string node_id;
    std::chrono::milliseconds session_timeout{10000};
    /// Live members needed before this node assigns never-owned shards (so
    /// that nodes started together share the initial assignment).
    size_t min_members = 1;
    std::function<void(const std::string&)> log;
  };

  /// Checks the options; serves nothing until `start`. Errors:
  /// `errc::invalid_argument`.
  static caf::expected<std::unique_ptr<cluster_node>> make(options opts);

  /// Stops the thread and closes the session (its member goes at once).
  ~cluster_node();

  /// Starts taking part, publishing `address` ("host:port") as where the
  /// node serves. Returns at once; see `serving`.
  void start(std::string address);

  /// Refuses what this node must not serve now: `errc::unavailable` if it
  /// has no session, no map yet or a stale lease; `errc::wrong_node` for an
  /// id of a shard the map does not give it (the detail names the shard,
  /// the epoch it knows and the owner). Never blocks.
  caf::error admit(const std::vector<entity_id>& ids) const;

  /// True once it serves by a map with a proven lease.
  bool serving() const;

private:
  /// What `admit` reads: one map, immutable, swapped whole.
  struct snapshot {
    uint32_t shards = 0;
    /// Per shard: the owner and epoch as read.
    std::vector<std::pair<std::string, uint64_t>> owners;
    std::shared_ptr<const session_lease::state> lease;
  };

  explicit cluster_node(options opts);

  void run();
  void keep_up(std::unique_ptr<zk_session>& zk,
               std::unique_ptr<session_lease>& lease);
  void publish(std::shared_ptr<const snapshot> snap);
  void log(const std::string& line) const;

  options opts_;
  std::string address_;
  std::shared_ptr<const snapshot> snap_;
  mutable std::mutex snap_mtx_;
  std::atomic<bool> session_lost_{false};
  std::mutex mtx_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread worker_;
};

} // namespace entact::cluster
