#pragma once

#include "harness/config.hpp"
#include "harness/report.hpp"

namespace bench {

/// W7: entact over the network. W7a, pipelined updates through
/// entact::client to an entactd child process on loopback beside the same
/// on an in-process engine; W7b, blocking round trips (get, update) from
/// one thread, remote and in-process. Checks that entactd exits 0 on
/// SIGTERM.
void run_remote(const config& cfg, report& rep);

} // namespace bench
