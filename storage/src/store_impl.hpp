#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "entact/storage/store.hpp"
#include "partition.hpp"

namespace entact::storage {

/// State behind `store`: its partitions, and the spanning batches under
/// way (span_steps.cpp), which `close` waits for.
struct store::impl {
  store_options opts;
  std::vector<std::unique_ptr<partition>> parts;
  std::vector<std::string> salvaged;

  /// The partition of `id`.
  partition& of(std::string_view id) const {
    return *parts[parts.size() == 1 ? 0 : partition_of(id, parts.size())];
  }

  /// Counts a spanning batch in and returns its number; 0 (nothing
  /// counted) once closing.
  uint64_t begin_span();
  /// Counts it out once its caller is answered.
  void end_span();
  /// Runs `retry` (a span refused by another span's hold) once some span
  /// ended, or now if every span under way waits too or the store closes.
  void after_next_span(std::function<void()> retry);
  /// Refuses new spans, then waits until none is under way.
  void stop_spans();
  /// True on a committer thread of any partition (a commit callback).
  bool on_committer() const;

  std::mutex span_mtx;
  std::condition_variable span_cv;
  size_t spans_under_way = 0;
  std::vector<std::function<void()>> retries;
  bool closing = false;
  // The last span's number (under `span_mtx`), so also how many spans
  // began. Numbers are unique within one opening: every intent left by the
  // one before is finished and deleted before the store serves.
  uint64_t last_span = 0;

  /// Commits `ops`, whose ids live in more than one partition, atomically
  /// across them (span_steps.cpp).
  void commit_spanning(std::vector<write_op> ops, commit_callback done);

  /// At open, before the store serves: finishes every spanning batch whose
  /// intent a partition holds (span_steps.cpp).
  caf::error finish_intents();
};

} // namespace entact::storage
