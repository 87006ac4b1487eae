#pragma once

namespace entact::apps {

/// `entact cluster ...`: the cluster admin commands (create, status,
/// assign, move, rebalance), with their own options. `argv[0]` is
/// "cluster". Returns the process exit code.
int cluster_main(int argc, char** argv);

} // namespace entact::apps
