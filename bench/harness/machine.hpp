#pragma once

// Where and with what a run was made, recorded beside its figures so that
// results from different machines or builds are never compared unawares.

#include <string>

namespace bench {

struct machine_info {
  std::string date;
  unsigned cores = 0;
  std::string kernel;
  std::string cpu;
  std::string load_start;
  std::string load_end;
  std::string rocksdb;
  std::string caf;
  std::string compiler;
  bool assertions_in_bench = false;
};

/// This machine and build now; `load_end` is left for the caller.
machine_info describe_machine();

/// The first line of /proc/loadavg.
std::string load_average();

} // namespace bench
