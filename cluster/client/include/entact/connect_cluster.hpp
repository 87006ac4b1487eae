#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <caf/expected.hpp>

#include "entact/database.hpp"

namespace entact {

/// How `connect_cluster` talks to a cluster.
struct cluster_client_options {
  /// Deadline of each call to a node, and of connecting to ZooKeeper.
  std::chrono::milliseconds request_timeout{10000};
  /// How often one call follows a `wrong_node` or `unavailable` answer
  /// (re-reading the map after a pause of 50 ms, doubling each time: 1.55 s
  /// in all for 5) before it returns that answer.
  unsigned max_redirects = 5;
};

/// The `database` interface over the cluster at `address`
/// ("HOST:PORT/NAME", ZooKeeper and the cluster's name). Each call goes to
/// the node that owns its id's shard; an answer `wrong_node` or
/// `unavailable` (definitely not applied) re-reads the map and tries again
/// (at most `max_redirects` times); `unreachable` re-reads the map too, and
/// reads are tried again then. A shard whose owner is down answers
/// `unavailable` once the redirects are spent, well before the deadline:
/// whether the node left (no live member) or died without a word (SIGKILL:
/// its member lingers until its session expires, but it does not answer a
/// connect). A call in flight when its node dies answers `unreachable`
/// (a write's outcome is then unknown). Transactions, batches and `read_many` whose ids
/// span more than one shard answer `cross_shard` (nothing done): cross-node
/// transactions are not there yet. The asynchronous calls go to the owner
/// once, without following a redirect.
///
/// Errors: `invalid_argument` (bad address), `unavailable` (no ZooKeeper
/// session), `not_found` (no such cluster), `storage_failure` (malformed
/// records in ZooKeeper).
caf::expected<std::unique_ptr<database>>
connect_cluster(const std::string& address, cluster_client_options opts = {});

} // namespace entact
