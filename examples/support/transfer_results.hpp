// The table of a bank run's results, one row per mode.
#pragma once

#include <cstdint>
#include <string>

#include "support/table.hpp"
#include "support/transfer_tally.hpp"

namespace example {

/// What each mode's transfers came to: by outcome, their latency and rate,
/// and the snapshots the checker summed meanwhile.
class transfer_results {
public:
  transfer_results();

  /// The row of `mode`, which took `seconds`; conflicts are shown for the
  /// optimistic mode only (a pessimistic transfer sees none).
  void add(const std::string& mode, const transfer_tally& t, double seconds,
           uint64_t snapshots);

  /// Prints the table and, under it, what its columns mean.
  void print() const;

private:
  table table_;
};

} // namespace example
