#include "entact/storage/store.hpp"

#include <future>

#include "entact/errc.hpp"
#include "group_commit.hpp"
#include "open_db.hpp"
#include "store_impl.hpp"

namespace entact::storage {

namespace {

using outcome = caf::expected<std::vector<record>>;

void deliver(const store::commit_callback& done, outcome result) {
  if (done)
    done(std::move(result));
}

// Checks a batch before it is queued, so a bad batch never costs a group.
caf::error validate_batch(const std::vector<write_op>& ops,
                          const limits& lim) {
  if (ops.empty())
    return make_error(errc::invalid_argument, "empty batch");
  for (const auto& op : ops)
    if (auto err = validate(op, lim))
      return err;
  return {};
}

} // namespace

void store::impl::run() {
  for (;;) {
    auto group = queue.pop_group(opts.max_group_ops);
    if (group.empty())
      return;
    auto result = detail::commit_group(*db, opts.sync, group, hook());
    if (result.committed)
      ++groups;
    retries += result.retries;
    batches_refused += result.refused;
    if (result.committed && opts.on_commit)
      for (const auto& outcome : result.outcomes)
        if (outcome)
          opts.on_commit(*outcome);
    for (size_t i = 0; i < group.size(); ++i) {
      if (result.committed && result.outcomes[i])
        ++batches_committed;
      deliver(group[i].done, std::move(result.outcomes[i]));
    }
  }
}

std::function<void()> store::impl::hook() const {
  std::lock_guard<std::mutex> guard{hook_mtx};
  return before_commit;
}

caf::expected<std::unique_ptr<store>> store::open(store_options opts) {
  auto db = detail::open_db(opts);
  if (!db)
    return std::move(db.error());
  auto state = std::make_unique<impl>(std::move(opts), std::move(db->db),
                                      std::move(db->dropped));
  return std::unique_ptr<store>{new store(std::move(state))};
}

store::store(std::unique_ptr<impl> ptr) : impl_(std::move(ptr)) {
  impl_->committer = std::thread{[state = impl_.get()] { state->run(); }};
  impl_->committer_id = impl_->committer.get_id();
}

store::~store() {
  close();
}

void store::close() {
  impl_->queue.close();
  // From a commit callback we are the committer: it stops by itself once
  // the queue is drained, and joining ourselves would deadlock.
  if (std::this_thread::get_id() == impl_->committer_id)
    return;
  std::lock_guard<std::mutex> guard{impl_->close_mtx};
  if (!impl_->committer.joinable())
    return;
  impl_->committer.join();
  // A clean stop leaves no acknowledged write only in the WAL: a WAL cut
  // short cannot be told from a crash's torn tail, table files carry
  // checksums and sizes RocksDB verifies. If the flush fails, the writes
  // stay in the WAL and the next open replays them as after a crash.
  rocksdb::FlushOptions flush;
  flush.wait = true;
  impl_->db->Flush(flush);
}

void store::commit_async(std::vector<write_op> ops, commit_callback done) {
  if (auto err = validate_batch(ops, impl_->opts.limits)) {
    ++impl_->batches_refused;
    deliver(done, std::move(err));
    return;
  }
  detail::pending_batch batch{std::move(ops), std::move(done)};
  if (!impl_->queue.push(batch))
    deliver(batch.done, make_error(errc::closed, "the store is closed"));
}

caf::expected<std::vector<record>> store::commit(std::vector<write_op> ops) {
  std::promise<outcome> promise;
  auto result = promise.get_future();
  commit_async(std::move(ops),
               [&promise](outcome x) { promise.set_value(std::move(x)); });
  return result.get();
}

store_stats store::stats() const {
  return {impl_->groups.load(), impl_->batches_committed.load(),
          impl_->batches_refused.load(), impl_->retries.load()};
}

const std::vector<std::string>& store::salvage_report() const noexcept {
  return impl_->salvaged;
}

const store_options& store::options() const noexcept {
  return impl_->opts;
}

rocksdb::OptimisticTransactionDB* store::raw_db() noexcept {
  return impl_->db.get();
}

void store::set_before_commit_hook(std::function<void()> hook) {
  std::lock_guard<std::mutex> guard{impl_->hook_mtx};
  impl_->before_commit = std::move(hook);
}

} // namespace entact::storage
