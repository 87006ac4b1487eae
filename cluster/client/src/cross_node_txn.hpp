#pragma once

// The cluster client's coordinator of transactions whose ids are owned by
// several nodes (README, "Cross-node transactions"): locks at every node in
// node-id order, the body on the merged records, then one phase (a single
// writing node) or two-phase commit with the first writing node holding the
// decision (presumed abort).

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "entact/client.hpp"
#include "entact/connect_cluster.hpp"

namespace entact::detail {

/// One node of a cross-node transaction: who it is, where its entactd
/// listens (its 2PC name), a client to it and the ids it owns.
struct node_part {
  std::string node;
  std::string address;
  std::shared_ptr<client> conn;
  std::vector<entity_id> ids;
};

/// The counters behind `cluster_txn_stats`.
struct txn_counters {
  std::atomic<uint64_t> one_phase{0};
  std::atomic<uint64_t> two_phase{0};
  std::atomic<uint64_t> aborted{0};
  std::atomic<uint64_t> in_doubt{0};

  cluster_txn_stats snapshot() const {
    return {one_phase.load(), two_phase.load(), aborted.load(),
            in_doubt.load()};
  }
};

/// `database::transact` over `parts` (at least two nodes, sorted by node
/// id, each id in exactly one part): records in the order of `ids`.
/// `fault` (may be empty) is called with each step's name.
caf::expected<std::vector<record>>
cross_node_transact(std::vector<node_part> parts,
                    const std::vector<entity_id>& ids, const txn_body& body,
                    const txn_options& opts, const retry_policy& retry,
                    const std::function<void(const std::string&)>& fault,
                    txn_counters& counters);

/// The body of `apply_batch(ops)` as a transaction: each op checked against
/// its locked record by the version rule (`decide`), `conflict` with its
/// payload if stale.
txn_body batch_body(std::vector<write_op> ops);

} // namespace entact::detail
