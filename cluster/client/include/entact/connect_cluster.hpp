#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <caf/expected.hpp>

#include "entact/database.hpp"

namespace entact {

/// How `connect_cluster` talks to a cluster.
struct cluster_client_options {
  /// Deadline of each call to a node, and of connecting to ZooKeeper.
  std::chrono::milliseconds request_timeout{10000};
  /// Deadline of connecting to a node (must be positive). A node that
  /// accepts TCP but never answers (a frozen process) answers
  /// `unavailable` past it, and is not dialled again for as long as the
  /// dial took; callers of other nodes are not held up meanwhile.
  std::chrono::milliseconds connect_timeout{2000};
  /// How often one call follows a `wrong_node` or `unavailable` answer
  /// (re-reading the map after a pause of 50 ms, doubling each time: 1.55 s
  /// in all for 5) before it returns that answer.
  unsigned max_redirects = 5;
  /// Test-only fault injection: called by a cross-node two-phase commit
  /// with the name of each step it has just passed: "prepared_one" (the
  /// first participant voted), "deciding" (every node voted, the decision
  /// not sent yet), "decided" (the holder recorded the commit),
  /// "committed_one" (a participant committed, another has not yet). A
  /// test stops the coordinator dead there (`_exit` in a child process).
  std::function<void(const std::string& step)> fault_hook = nullptr;
};

/// What the cluster client's transactions and batches took: how many
/// committed in one phase (one node wrote, or none), how many in two
/// phases, how many two-phase ones aborted after a prepare, and how many
/// ended `in_doubt` (the decision holder's answer lost).
struct cluster_txn_stats {
  uint64_t one_phase = 0;
  uint64_t two_phase = 0;
  uint64_t aborted = 0;
  uint64_t in_doubt = 0;
};

/// The counters of `db` if it was made by `connect_cluster` (transactions
/// on a single node are counted as one phase), else none.
std::optional<cluster_txn_stats> cluster_txn_stats_of(const database& db);

/// The `database` interface over the cluster at `address`
/// ("HOST:PORT/NAME", ZooKeeper and the cluster's name). Each call goes to
/// the node that owns its id's shard by the client's copy of the map,
/// which ZooKeeper watches keep current (on the member list and every
/// shard record): an assignment, a reassignment or a node's new address is
/// seen without a failed call first. An answer `wrong_node` or
/// `unavailable` (definitely not applied) tries again after a pause
/// (re-reading the map meanwhile), at most `max_redirects` times;
/// `unreachable` is tried again for reads only. A shard whose owner is
/// down answers `unavailable` once the redirects are spent, well before
/// the deadline: whether the node left (no live member) or died without a
/// word (SIGKILL: its member lingers until its session expires, but it
/// does not answer a connect). A frozen node (SIGSTOP: its kernel accepts
/// TCP, nothing answers) answers `unavailable` once its dial runs out
/// `connect_timeout`; dials are made one per node at a time, outside the
/// client's lock, so calls on other nodes are not held up. A call in
/// flight when its node dies answers `unreachable`, and one in flight when
/// it freezes `timeout` after `request_timeout` (a write's outcome is then
/// unknown either way). Transactions and batches whose ids span shards of
/// one node run there in one phase; across nodes they lock every node in
/// node-id order and commit in two phases (README, "Cross-node
/// transactions"). `read_many` whose ids span more than one shard answers
/// `cross_shard` (nothing done), and so does `scan`, which spans every
/// shard.
///
/// A `watch` runs on the owner's node, subscribed like a read; it ends
/// (`unreachable` or `closed`, its callback's last call) when that node's
/// connection does, and is started again after the last version seen.
///
/// The asynchronous calls follow redirects the same way without blocking:
/// the pauses are waited out on a thread of the client's own. A call that
/// was redirected may therefore be applied after a later call on the same
/// entity from the same thread (the order holds for calls not
/// redirected). Destroying the client waits for the calls waiting out a
/// pause (at most that pause) and answers them `closed`.
///
/// Errors: `invalid_argument` (bad address, a timeout that is not
/// positive), `unavailable` (no ZooKeeper session), `not_found` (no such
/// cluster), `storage_failure` (malformed records in ZooKeeper).
caf::expected<std::unique_ptr<database>>
connect_cluster(const std::string& address, cluster_client_options opts = {});

} // namespace entact
