#include "entact/storage/store.hpp"

#include <chrono>
#include <future>

#include "entact/errc.hpp"
#include "group_commit.hpp"
#include "open_db.hpp"
#include "store_impl.hpp"
#include "thread_cpu.hpp"
#include "write_fence.hpp"

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
    if (group.empty()) {
      drain();
      return;
    }
    if (group.front().job) { // a 2PC step: alone, see `pop_group`
      drain();
      std::lock_guard<std::mutex> in_step{group_mtx};
      group.front().job();
      continue;
    }
    if (fence && detail::refuse_fenced(fence, group, batches_refused))
      continue; // every batch of the group was fenced
    std::unique_lock<std::mutex> in_group{group_mtx};
    if (outside_writer.load()) {
      drain();
      commit_checked(group);
    } else {
      pipeline(std::move(group));
    }
    in_group.unlock();
    committer_cpu_ns = detail::thread_cpu_ns();
  }
}

// Group N+1 is decided against N's writes while N is written; it is handed
// to the writer only once N is durable, and decided again from what is
// stored if N's write failed: nothing decided on a failed write is written
// or acknowledged.
void store::impl::pipeline(std::vector<detail::pending_batch> group) {
  // Already written: learn it now rather than decide on it.
  if (in_flight && writer.written())
    settle_in_flight();
  learn_from_reads();
  auto next = std::make_shared<in_flight_group>();
  next->started = std::chrono::steady_clock::now();
  do {
    next->decided = detail::decide_group(
      *db, group, in_flight ? &in_flight->decided.writes : nullptr, &known,
      prepared);
  } while (!settle_in_flight());
  next->group = std::move(group);
  in_flight = next;
  // The writer owns the group too: its callbacks may still run after the
  // committer settled it.
  writer.submit(next->decided.batch,
                [this, next](const rocksdb::Status& s) { finish(*next, s); });
}

bool store::impl::settle_in_flight() {
  if (!in_flight)
    return true;
  auto s = writer.wait_written();
  auto done = std::move(in_flight);
  if (!s.ok()) {
    known.forget_all();
    note_forgetting();
    return false;
  }
  for (const auto& rec : done->decided.read)
    known.remember(rec);
  for (const auto& [id, rec] : done->decided.writes)
    known.remember(rec);
  note_forgetting();
  return true;
}

void store::impl::drain() {
  settle_in_flight();
  writer.wait_idle();
}

void store::impl::finish(in_flight_group& g, const rocksdb::Status& s) {
  auto& d = g.decided;
  bool committed = s.ok() && d.batch.Count() > 0;
  if (!s.ok())
    detail::fail_staged(d.outcomes, detail::commit_error(s, opts.sync));
  if (committed) {
    ++groups;
    group_batches.record(static_cast<double>(g.group.size()));
    commit_seconds.record(std::chrono::duration<double>(
                            std::chrono::steady_clock::now() - g.started)
                            .count());
  }
  ids_read += d.ids_read;
  ids_known += d.ids_known;
  batches_refused += d.refused;
  deliver_all(g.group, d.outcomes, committed);
}

void store::impl::commit_checked(std::vector<detail::pending_batch>& group) {
  known.forget_all();
  auto started = std::chrono::steady_clock::now();
  auto result = detail::commit_group(*db, opts.sync, group, hook(), nullptr,
                                     prepared);
  note_forgetting();
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
  deliver_all(group, result.outcomes, result.committed);
}

void store::impl::deliver_all(std::vector<detail::pending_batch>& group,
                              std::vector<outcome>& outcomes,
                              bool committed) {
  if (committed && opts.on_commit)
    for (const auto& x : outcomes)
      if (x)
        opts.on_commit(*x);
  for (size_t i = 0; i < group.size(); ++i) {
    if (committed && outcomes[i]) {
      ++batches_committed;
      writes_committed += group[i].ops.size();
    }
    deliver(group[i].done, std::move(outcomes[i]));
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
    // Being written: the read may have seen what it overwrites.
    if (in_flight && in_flight->decided.writes.count(h.id) != 0)
      continue;
    known.remember(record{std::move(h.id), h.version, {}, h.deleted});
    note_forgetting(); // past the bound: hints after this one must wait
  }
}

void store::impl::note_forgetting() {
  if (known.forgettings() == forgettings_seen)
    return;
  forgettings_seen = known.forgettings();
  // The committer is the only writer: nothing is newer but the group in
  // flight, whose ids `learn_from_reads` refuses until it is settled (and
  // then knows, or forgets again after it landed).
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
  // From a commit callback we are a committer thread: the committer stops
  // by itself once the queue is drained, and joining ourselves (or the
  // committer waiting for the writer we are) would deadlock.
  if (impl_->on_committer())
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
  result.writer_cpu_ns = impl_->writer.cpu_ns();
  result.committer_cpu_ns = impl_->committer_cpu_ns.load()
                            + result.writer_cpu_ns;
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

std::string store::identity() const {
  std::string id;
  return impl_->db->GetDbIdentity(id).ok() ? id : std::string{};
}

rocksdb::OptimisticTransactionDB* store::raw_db() noexcept {
  impl_->outside_writer = true;
  // A group under way was decided on what the committer knew: wait until
  // it is decided and written, so that no write made through the pointer
  // returned can race it. (From the commit hook, on the committer itself,
  // the hook's setter already ended the trust before the group began.)
  if (!impl_->on_committer()) {
    std::lock_guard<std::mutex> wait_for_group{impl_->group_mtx};
    impl_->writer.wait_idle();
  }
  return impl_->db.get();
}

void store::set_before_commit_hook(std::function<void()> hook) {
  impl_->outside_writer = true;
  std::lock_guard<std::mutex> guard{impl_->hook_mtx};
  impl_->before_commit = std::move(hook);
}

} // namespace entact::storage
