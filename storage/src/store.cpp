#include "entact/storage/store.hpp"

#include <chrono>
#include <ctime>
#include <future>

#include "entact/errc.hpp"
#include "group_commit.hpp"
#include "open_db.hpp"
#include "store_impl.hpp"
#include "write_fence.hpp"

namespace entact::storage {

namespace {

using outcome = caf::expected<std::vector<record>>;

// CPU time of the calling thread (one clock_gettime per group: negligible
// beside a group's RocksDB commit).
uint64_t thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u
         + static_cast<uint64_t>(ts.tv_nsec);
}

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
    if (group.front().job) { // a 2PC step: alone, see `pop_group`
      std::lock_guard<std::mutex> in_step{group_mtx};
      group.front().job();
      continue;
    }
    if (fence && detail::refuse_fenced(fence, group, batches_refused))
      continue; // every batch of the group was fenced
    std::unique_lock<std::mutex> in_group{group_mtx};
    auto* trusted = &known;
    if (outside_writer.load()) {
      known.forget_all();
      trusted = nullptr;
    } else {
      learn_from_reads();
    }
    auto started = std::chrono::steady_clock::now();
    auto result = detail::commit_group(*db, opts.sync, group, hook(), trusted,
                                       prepared);
    note_forgetting();
    in_group.unlock();
    if (result.committed) {
      ++groups;
      group_batches.record(static_cast<double>(group.size()));
      commit_seconds.record(std::chrono::duration<double>(
                              std::chrono::steady_clock::now() - started)
                              .count());
    }
    retries += result.retries;
    ids_read += result.ids_read;
    ids_known += result.ids_known;
    batches_refused += result.refused;
    if (result.committed && opts.on_commit)
      for (const auto& outcome : result.outcomes)
        if (outcome)
          opts.on_commit(*outcome);
    for (size_t i = 0; i < group.size(); ++i) {
      if (result.committed && result.outcomes[i]) {
        ++batches_committed;
        writes_committed += group[i].ops.size();
      }
      deliver(group[i].done, std::move(result.outcomes[i]));
    }
    committer_cpu_ns = thread_cpu_ns();
  }
}

// A hint is taken only for an id the committer does not know, from a read
// that began after the committer last forgot anything: every id committed
// since is known until it forgets, so an id it does not know was not
// committed since the read began, and what the read saw is still stored.
void store::impl::learn_from_reads() {
  for (auto& h : hints.take()) {
    if (h.sequence < trusted_from || known.find(h.id))
      continue;
    known.remember(record{std::move(h.id), h.version, {}, h.deleted});
    note_forgetting(); // past the bound: hints after this one must wait
  }
}

void store::impl::note_forgetting() {
  if (known.forgettings() == forgettings_seen)
    return;
  forgettings_seen = known.forgettings();
  // The committer is the only writer: between groups, nothing is newer.
  trusted_from = db->GetLatestSequenceNumber();
}

bool store::impl::run_alone(std::function<void()> job) {
  std::promise<void> finished;
  auto waited = finished.get_future();
  detail::pending_batch step;
  step.job = [&] {
    job();
    finished.set_value();
  };
  if (!queue.push(step))
    return false;
  waited.get();
  return true;
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
  if (auto err = state->load_prepared())
    return err;
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
  detail::pending_batch batch{std::move(ops), std::move(done), nullptr};
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
  store_stats result;
  result.groups = impl_->groups.load();
  result.batches_committed = impl_->batches_committed.load();
  result.batches_refused = impl_->batches_refused.load();
  result.retries = impl_->retries.load();
  result.ids_read = impl_->ids_read.load();
  result.ids_known = impl_->ids_known.load();
  result.committer_cpu_ns = impl_->committer_cpu_ns.load();
  result.writes_committed = impl_->writes_committed.load();
  result.group_batches = impl_->group_batches.snapshot();
  result.commit_seconds = impl_->commit_seconds.snapshot();
  return result;
}

const std::vector<std::string>& store::salvage_report() const noexcept {
  return impl_->salvaged;
}

const store_options& store::options() const noexcept {
  return impl_->opts;
}

rocksdb::OptimisticTransactionDB* store::raw_db() noexcept {
  impl_->outside_writer = true;
  // A group under way may have written ids it knew without tracking them:
  // wait until it is committed, so that no write made through the pointer
  // returned can race it. (From the commit hook, on the committer itself,
  // the hook's setter already ended the trust before the group began.)
  if (std::this_thread::get_id() != impl_->committer_id)
    std::lock_guard<std::mutex> wait_for_group{impl_->group_mtx};
  return impl_->db.get();
}

void store::set_before_commit_hook(std::function<void()> hook) {
  impl_->outside_writer = true;
  std::lock_guard<std::mutex> guard{impl_->hook_mtx};
  impl_->before_commit = std::move(hook);
}

} // namespace entact::storage
