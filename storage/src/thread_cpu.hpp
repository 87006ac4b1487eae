#pragma once

#include <cstdint>
#include <ctime>

namespace entact::storage::detail {

/// CPU time of the calling thread in nanoseconds (one clock_gettime per
/// group: negligible beside a group's RocksDB write).
inline uint64_t thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u
         + static_cast<uint64_t>(ts.tv_nsec);
}

} // namespace entact::storage::detail
