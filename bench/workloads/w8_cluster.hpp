#pragma once

#include "harness/config.hpp"
#include "harness/report.hpp"

namespace bench {

/// W8: durable single-entity updates (blocking update() from
/// `w8_clients` threads) through entact::connect_cluster, on a 3-node
/// cluster and on a 1-node cluster: ZooKeeper and every entactd node
/// (sync on) are children of the bench on this machine, so the nodes share
/// its cores. Checks that no update was lost or invented.
void run_cluster(const config& cfg, report& rep);

} // namespace bench
