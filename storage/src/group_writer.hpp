#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

#include <rocksdb/status.h>

namespace rocksdb {
class DB;
class WriteBatch;
} // namespace rocksdb

namespace entact::storage::detail {

/// The committer's second thread: writes the groups the committer decided
/// to RocksDB one at a time, in the order handed over, so that the
/// committer decides the next group while this one's WAL write, memtable
/// insert and sync run (a two-stage pipeline, one group in each stage).
/// A group's `then` runs here once its write is answered, before the next
/// write begins: so a group is acknowledged only once it and every group
/// before it is durable.
class group_writer {
public:
  using then_fn = std::function<void(const rocksdb::Status&)>;

  /// `fail` (tests, may be empty): see `store_options::fail_write_for_test`.
  group_writer(rocksdb::DB& db, bool sync, std::function<bool()> fail);

  /// Finishes the write under way (if any) and stops the thread.
  ~group_writer();

  group_writer(const group_writer&) = delete;
  group_writer& operator=(const group_writer&) = delete;

  /// Waits until the write before is done (its `then` ran), then hands
  /// `batch` to the thread, which writes it (nothing for an empty batch)
  /// and calls `then` with RocksDB's answer. `batch` must live until then.
  /// `force_sync`: synced even if the writer's `sync` is off.
  void submit(rocksdb::WriteBatch& batch, then_fn then,
              bool force_sync = false);

  /// Waits until the write handed over last was answered (its `then` may
  /// still run); returns RocksDB's answer (ok if nothing was ever written).
  /// Not on this thread.
  rocksdb::Status wait_written();

  /// True if the write handed over last was answered (or there is none).
  bool written();

  /// Waits until no write is under way and its `then` ran. Not on this
  /// thread.
  void wait_idle();

  /// True on the writer's own thread (a `then`, or a callback it runs).
  bool on_writer_thread() const noexcept {
    return std::this_thread::get_id() == id_;
  }

  /// CPU time the thread has used, as of its last write.
  uint64_t cpu_ns() const noexcept {
    return cpu_ns_.load();
  }

private:
  void run();

  rocksdb::DB& db_;
  bool sync_;
  std::function<bool()> fail_;
  std::mutex mtx_;
  std::condition_variable cv_;
  rocksdb::WriteBatch* batch_ = nullptr;
  then_fn then_;
  bool force_sync_ = false;
  // A group is handed over and its `then` has not finished.
  bool busy_ = false;
  // RocksDB answered the write of the group handed over last.
  bool written_ = true;
  bool stopping_ = false;
  rocksdb::Status last_;
  std::atomic<uint64_t> cpu_ns_{0};
  std::thread thread_;
  std::thread::id id_;
};

} // namespace entact::storage::detail
