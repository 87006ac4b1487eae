#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "entact/engine_stats.hpp"

namespace entact::storage::detail {

/// Counts observations into fixed buckets for `store_stats`. One thread
/// records (the committer), any thread reads: relaxed atomics, no lock,
/// nothing allocated after construction. A reader may see a count and a
/// sum from moments a few observations apart, which monitoring tolerates.
class bucket_recorder {
public:
  explicit bucket_recorder(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      counts_(std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1)) {
  }

  /// Called by the one recording thread only.
  void record(double value) {
    auto i = static_cast<size_t>(
      std::lower_bound(bounds_.begin(), bounds_.end(), value)
      - bounds_.begin());
    counts_[i].fetch_add(1, std::memory_order_relaxed);
    sum_.store(sum_.load(std::memory_order_relaxed) + value,
               std::memory_order_relaxed);
  }

  bucket_counts snapshot() const {
    bucket_counts result;
    result.bounds = bounds_;
    for (size_t i = 0; i <= bounds_.size(); ++i)
      result.counts.push_back(counts_[i].load(std::memory_order_relaxed));
    result.sum = sum_.load(std::memory_order_relaxed);
    return result;
  }

private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;
  std::atomic<double> sum_{0};
};

} // namespace entact::storage::detail
