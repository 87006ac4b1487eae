#pragma once

#include "harness/config.hpp"
#include "harness/report.hpp"

namespace bench {

/// W9: durable 2-entity transfers (blocking transact() from `w9_clients`
/// threads) through entact::connect_cluster on a 3-node cluster, the two
/// accounts on the same node (one phase) vs on different nodes (two-phase
/// commit); ZooKeeper and the nodes (sync on) are children of the bench on
/// this machine. Checks that the total is unchanged, that each committed
/// transfer bumped exactly two versions, and that each run took the path
/// it measures.
void run_cross_node(const config& cfg, report& rep);

} // namespace bench
