#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <rocksdb/utilities/optimistic_transaction_db.h>

#include "bucket_recorder.hpp"
#include "commit_queue.hpp"
#include "group_commit.hpp"
#include "group_writer.hpp"
#include "known_versions.hpp"
#include "prepared_set.hpp"
#include "read_hints.hpp"
#include "span_holds.hpp"
#include "partition.hpp"

namespace entact::storage {

/// State behind `partition`, shared by its source files.
struct partition::impl {
  impl(store_options o, std::unique_ptr<rocksdb::OptimisticTransactionDB> d,
       std::vector<std::string> dropped)
    : opts(std::move(o)), db(std::move(d)), salvaged(std::move(dropped)),
      writer(*db, opts.sync, opts.fail_write_for_test) {
  }

  /// A group decided and handed to `writer`, until the committer settles
  /// it (see `settle_in_flight`).
  struct in_flight_group {
    std::vector<detail::pending_batch> group;
    detail::decided_group decided;
    std::chrono::steady_clock::time_point started;
  };

  /// The committer thread's loop: one group per turn until closed and
  /// drained.
  void run();

  /// Decides `group` while the group before is written, then hands it to
  /// `writer` (store.cpp: the pipeline, used while nobody writes behind
  /// the store's back).
  void pipeline(std::vector<detail::pending_batch> group);

  /// Decides and commits `group` in one optimistic transaction that
  /// re-checks every id: once something may write behind the store's back.
  void commit_checked(std::vector<detail::pending_batch>& group);

  /// Waits until the group in flight (if any) is written. If it is
  /// durable, `known` learns what it read and wrote and this returns true;
  /// if its write failed, `known` forgets everything (what is stored is no
  /// longer certain) and this returns false: whatever was decided on it
  /// must be decided again.
  bool settle_in_flight();

  /// Settles the group in flight and waits until its callbacks ran: before
  /// anything that must come after every group (a 2PC step, a checked
  /// group, the end).
  void drain();

  /// On the writer thread, once `g`'s write was answered with `s`: counts,
  /// then tells `on_commit` and every batch's callback.
  void finish(in_flight_group& g, const rocksdb::Status& s);

  /// Tells `on_commit` and the callbacks of `group` their outcomes
  /// (`committed`: the group's write is durable).
  void deliver_all(std::vector<detail::pending_batch>& group,
                   std::vector<caf::expected<std::vector<record>>>& outcomes,
                   bool committed);

  /// Moves the batches of `group` at `indices` (ascending), which wait for
  /// a span to free their ids, out of the group (and their placeholder
  /// outcomes) into `waiting`, in order.
  void set_aside(std::vector<detail::pending_batch>& group,
                 std::vector<caf::expected<std::vector<record>>>& outcomes,
                 const std::vector<size_t>& indices);

  /// Once a span freed ids: queues every waiting batch again, ahead of
  /// everything queued, in order. Returns true if it queued any.
  bool requeue_waiting();

  /// True on either committer thread (the decider or the writer).
  bool on_committer() const noexcept {
    return std::this_thread::get_id() == committer_id
           || writer.on_writer_thread();
  }

  /// Takes what readers saw into `known` (see `read_hints`), before a
  /// group decides.
  void learn_from_reads();

  /// Once `known` has forgotten anything, hints from reads that began
  /// before now are no longer taken.
  void note_forgetting();

  /// Runs `job` on the committer thread, alone between groups, and waits
  /// for it. Returns false (and runs nothing) once the store is closed.
  /// Must not run on the committer thread.
  bool run_alone(std::function<void()> job);

  /// The 2PC steps, on the committer thread (prepared.cpp, decisions.cpp).
  caf::expected<prepared_txn> prepare_now(const prepare_request& req);
  caf::expected<std::vector<record>> commit_prepared_now(const std::string& txn,
                                                        bool as_decision);
  caf::error abort_prepared_now(const std::string& txn);
  caf::error record_decision_now(const std::string& txn, decision d,
                                 std::vector<std::string> participants);
  caf::error forget_decision_now(const std::string& txn);

  /// Fills `prepared` from the database, at open. Errors: `storage_failure`
  /// (a damaged prepared record, two holding one id, a failed read).
  caf::error load_prepared();

  /// Returns a copy of the test hook (the committer must not hold the lock
  /// while the hook writes to RocksDB).
  std::function<void()> hook() const;

  store_options opts;
  // Declared before the thread so it outlives it.
  std::unique_ptr<rocksdb::OptimisticTransactionDB> db;
  // What the salvage open dropped (empty without salvage_wal).
  std::vector<std::string> salvaged;
  // The pipeline's second stage (declared after `db`: stopped before it).
  detail::group_writer writer;
  // The committer's: the group `writer` has (or had last, until settled).
  std::shared_ptr<in_flight_group> in_flight;
  detail::commit_queue queue;
  // What is prepared and which ids it holds (see `prepared_set`).
  detail::prepared_set prepared;
  // The deciding thread's: ids held by spanning batches (`span_holds`),
  // the batches waiting for them to be freed, and whether any were freed
  // since they were last queued again.
  detail::span_holds spans;
  std::vector<detail::pending_batch> waiting;
  bool ids_freed = false;
  // The committer's own: see `known_versions`.
  detail::known_versions known{opts.max_known_versions};
  // What readers saw; bounded by half of what the committer may know (so
  // that the hints of W1's 100k resident entities fit the default).
  detail::read_hints hints{opts.max_known_versions / 2};
  // The committer's: hints from reads that began before this sequence
  // number are refused (something was forgotten since), and the count of
  // forgettings that set it.
  uint64_t trusted_from = 0;
  uint64_t forgettings_seen = 0;
  // Set once a test may write behind the store's back (`raw_db`, the
  // before-commit hook): from then on every group reads every id.
  std::atomic<bool> outside_writer{false};
  // Held by the committer while it decides a group and hands it to
  // `writer`, so that `raw_db` can wait out a group that trusted what it
  // knew (and then `writer`).
  std::mutex group_mtx;

  std::atomic<uint64_t> groups{0};
  std::atomic<uint64_t> batches_committed{0};
  std::atomic<uint64_t> batches_refused{0};
  std::atomic<uint64_t> retries{0};
  std::atomic<uint64_t> ids_read{0};
  std::atomic<uint64_t> ids_known{0};
  std::atomic<uint64_t> committer_cpu_ns{0};
  std::atomic<uint64_t> writes_committed{0};
  // Batches per group (powers of two up to the largest groups seen in the
  // benchmarks) and seconds per group commit (100 us to 2.5 s: a WAL sync
  // on an SSD takes ~0.1-2 ms, on a busy disk much longer).
  detail::bucket_recorder group_batches{
    {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024}};
  detail::bucket_recorder commit_seconds{
    {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
     0.25, 0.5, 1, 2.5}};

  // The committer's: ids whose writes are refused (`partition::fence`), set
  // only between groups; empty for none.
  std::function<bool(const entity_id&)> fence;

  mutable std::mutex hook_mtx;
  std::function<void()> before_commit;

  std::mutex close_mtx;
  std::thread committer;
  // Set once at construction; lets `close` tell whether it runs on the
  // committer without touching `committer` while another thread joins it.
  std::thread::id committer_id;
};

} // namespace entact::storage
