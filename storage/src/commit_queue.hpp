#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "partition.hpp"
#include "entact/write_op.hpp"

namespace entact::storage::detail {

/// The part a queued batch plays in a batch that spans partitions
/// (span_steps.cpp).
enum class span_role : uint8_t {
  /// A batch of this partition alone.
  none,
  /// Decide `ops` and hold their ids for `span`; write nothing. Answered
  /// with the records decided.
  hold,
  /// Commit `ops` as a batch, and with it the span's intent (`intent_key`,
  /// `intent_value`): the span's commit point. Synced whatever
  /// `store_options::sync` says, as every step that writes.
  lead,
  /// Write `records` as they are (decided by this span's hold) and free
  /// the span's ids once durable; no records: only free them.
  apply,
  /// Delete the intent under `intent_key`: every part is durable.
  forget,
};

/// One atomic unit of `partition::commit_async`, waiting for the committer;
/// or, with `job` set (and no ops), one two-phase-commit write, which the
/// committer runs alone between groups; or a step of a spanning batch.
struct pending_batch {
  std::vector<write_op> ops;
  partition::commit_callback done;
  std::function<void()> job;
  span_role role = span_role::none;
  uint64_t span = 0;
  std::vector<record> records;
  std::string intent_key;
  std::string intent_value;
};

/// The hand-off between callers of `commit_async` and the committer thread.
/// Callers only ever hold the mutex for a push, so they never wait on I/O.
class commit_queue {
public:
  /// Queues `batch` (moving from it) and returns true; returns false and
  /// leaves `batch` untouched once the queue is closed.
  bool push(pending_batch& batch);

  /// Blocks until something is queued or the queue is closed, then takes
  /// the oldest batches holding at most `max_ops` ops in total (always at
  /// least one batch, however large), never a job among batches: a job
  /// comes alone, as the group's only entry. An empty result means closed and
  /// drained: the committer can stop.
  std::vector<pending_batch> pop_group(size_t max_ops);

  /// Queues `batches`, taken before and set aside, ahead of everything
  /// queued, in their order: even once closed (they were accepted).
  void push_front(std::vector<pending_batch> batches);

  /// Refuses later pushes; batches already queued are still handed out.
  void close();

private:
  std::mutex mtx_;
  std::condition_variable cv_;
  std::deque<pending_batch> queue_;
  bool closed_ = false;
};

} // namespace entact::storage::detail
