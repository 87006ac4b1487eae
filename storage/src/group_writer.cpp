#include "group_writer.hpp"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "thread_cpu.hpp"

namespace entact::storage::detail {

group_writer::group_writer(rocksdb::DB& db, bool sync,
                           std::function<bool()> fail)
  : db_(db), sync_(sync), fail_(std::move(fail)), thread_([this] { run(); }) {
  id_ = thread_.get_id();
}

group_writer::~group_writer() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void group_writer::submit(rocksdb::WriteBatch& batch, then_fn then,
                          bool force_sync) {
  std::unique_lock<std::mutex> guard{mtx_};
  cv_.wait(guard, [this] { return !busy_; });
  batch_ = &batch;
  then_ = std::move(then);
  force_sync_ = force_sync;
  busy_ = true;
  written_ = false;
  guard.unlock();
  cv_.notify_all();
}

rocksdb::Status group_writer::wait_written() {
  std::unique_lock<std::mutex> guard{mtx_};
  cv_.wait(guard, [this] { return written_; });
  return last_;
}

bool group_writer::written() {
  std::lock_guard<std::mutex> guard{mtx_};
  return written_;
}

void group_writer::wait_idle() {
  std::unique_lock<std::mutex> guard{mtx_};
  cv_.wait(guard, [this] { return !busy_; });
}

void group_writer::run() {
  std::unique_lock<std::mutex> guard{mtx_};
  for (;;) {
    // Stops only when idle: a submitted group is always written.
    cv_.wait(guard, [this] { return busy_ || stopping_; });
    if (!busy_)
      return;
    auto* batch = batch_;
    auto then = std::move(then_);
    bool sync = sync_ || force_sync_;
    guard.unlock();
    rocksdb::Status s;
    if (batch->Count() > 0 && fail_ && fail_()) {
      s = rocksdb::Status::IOError("write failed on purpose (test)");
    } else if (batch->Count() > 0) {
      rocksdb::WriteOptions wo;
      wo.sync = sync;
      s = db_.Write(wo, batch);
    }
    guard.lock();
    last_ = s;
    written_ = true;
    guard.unlock();
    cv_.notify_all();
    then(s);
    cpu_ns_ = thread_cpu_ns();
    guard.lock();
    busy_ = false;
    batch_ = nullptr;
    cv_.notify_all();
  }
}

} // namespace entact::storage::detail
