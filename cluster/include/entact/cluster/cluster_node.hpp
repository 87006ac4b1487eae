#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <caf/error.hpp>

#include "entact/cluster/cluster_admin.hpp"
#include "entact/cluster/cluster_names.hpp"
#include "entact/cluster/move_admin.hpp"
#include "entact/cluster/session_lease.hpp"
#include "entact/cluster/shard_host.hpp"
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
///
/// With a `shard_host`, the same thread takes its part in shard moves
/// (node_moves.cpp, README "Moving a shard"): as a move's target it copies
/// the shard, asks for the freeze, catches up and flips the map; as its
/// source it fences the shard (its store and `admit`) and says so; either
/// side drops a move whose other side is no longer a live member. It wakes
/// at once on a change of the map, the members or a move (watches).
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
    /// Testing only (fault injection): as a move's target, wait this long
    /// after the copy before asking for the freeze, and again once frozen
    /// before the catch-up.
    std::chrono::milliseconds move_hold{0};
  };

  /// Checks the options; serves nothing until `start`. Errors:
  /// `errc::invalid_argument`.
  static caf::expected<std::unique_ptr<cluster_node>> make(options opts);

  /// Stops the thread and closes the session (its member goes at once).
  ~cluster_node();

  /// Starts taking part, publishing `address` ("host:port") as where the
  /// node serves. Returns at once; see `serving`.
  /// With `host`, it also takes part in shard moves.
  void start(std::string address, std::shared_ptr<shard_host> host = nullptr);

  /// Refuses what this node must not serve now: `errc::unavailable` if it
  /// has no session, no map yet or a stale lease; `errc::wrong_node` for an
  /// id of a shard the map does not give it (the detail names the shard,
  /// the epoch it knows and the owner); `errc::unavailable` for an id of a
  /// shard it fences because the shard is moving away (reads too: once the
  /// map flips, the new owner may hold newer writes). Never blocks.
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
    /// Shards whose calls are refused (`unavailable`): moving away.
    std::set<uint32_t> fenced;
  };

  explicit cluster_node(options opts);

  void run();
  void keep_up(std::unique_ptr<zk_session>& zk,
               std::unique_ptr<session_lease>& lease);
  void publish(std::shared_ptr<const snapshot> snap);
  void publish_view(const cluster_view& view, const session_lease& lease);

  // Shard moves (node_moves.cpp).
  bool fence_moving(const cluster_view& view,
                    const std::vector<move_entry>& moves,
                    const session_lease& lease);
  bool step_moves(zk_session& zk, const cluster_view& view,
                  const std::vector<move_entry>& moves);
  bool step_as_target(zk_session& zk, const cluster_view& view,
                      const move_entry& move);
  void step_as_source(zk_session& zk, const cluster_view& view,
                      const move_entry& move);
  void hold_for_test();
  void log(const std::string& line) const;

  options opts_;
  std::string address_;
  std::shared_ptr<shard_host> host_;
  // The cluster thread's: the shards fenced now (in the store and `admit`).
  std::set<uint32_t> fenced_;
  // When each shard of `fenced_` was fenced.
  std::map<uint32_t, std::chrono::steady_clock::time_point> fenced_since_;
  std::shared_ptr<const snapshot> snap_;
  mutable std::mutex snap_mtx_;
  std::atomic<bool> session_lost_{false};
  std::mutex mtx_;
  std::condition_variable wake_;
  bool stopping_ = false;
  // A watch fired: re-read now.
  bool poked_ = false;
  std::thread worker_;
};

} // namespace entact::cluster
