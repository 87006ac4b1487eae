#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <vector>

#include "entact/storage/store.hpp"
#include "entact/write_op.hpp"

namespace entact::storage::detail {

/// One atomic unit of `store::commit_async`, waiting for the committer;
/// or, with `job` set (and no ops), one two-phase-commit write, which the
/// committer runs alone between groups.
struct pending_batch {
  std::vector<write_op> ops;
  store::commit_callback done;
  std::function<void()> job;
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

  /// Refuses later pushes; batches already queued are still handed out.
  void close();

private:
  std::mutex mtx_;
  std::condition_variable cv_;
  std::deque<pending_batch> queue_;
  bool closed_ = false;
};

} // namespace entact::storage::detail
