#include "partition.hpp"

#include <chrono>
#include <future>

#include <rocksdb/iterator.h>

#include "entact/errc.hpp"
#include "group_commit.hpp"
#include "open_db.hpp"
#include "prepared_codec.hpp"
#include "status.hpp"
#include "partition_impl.hpp"
#include "thread_cpu.hpp"
#include "write_fence.hpp"

namespace entact::storage {

namespace {

using outcome = caf::expected<std::vector<record>>;

void deliver(const partition::commit_callback& done, outcome result) {
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

void partition::impl::run() {
  for (;;) {
    // A group in flight may free ids batches wait for (an apply): settle it
    // now, for nothing else may come to make the committer do so.
    if (!waiting.empty() && in_flight) {
      settle_in_flight();
      requeue_waiting();
    }
    auto group = queue.pop_group(opts.max_group_ops);
    if (group.empty()) {
      drain();
      if (requeue_waiting())
        continue; // freed by the last groups: decided before the end
      for (auto& batch : waiting)
        deliver(batch.done, make_error(errc::closed,
                                       "the store closed while the batch "
                                       "waited for a batch spanning "
                                       "partitions"));
      return;
    }
    if (group.front().job) { // a 2PC step: alone, see `pop_group`
      drain();
      requeue_waiting();
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
    requeue_waiting();
    in_group.unlock();
    committer_cpu_ns = detail::thread_cpu_ns();
  }
}

void partition::impl::set_aside(std::vector<detail::pending_batch>& group,
                                std::vector<outcome>& outcomes,
                                const std::vector<size_t>& indices) {
  if (indices.empty())
    return;
  std::vector<detail::pending_batch> kept;
  std::vector<outcome> kept_outcomes;
  size_t next = 0;
  for (size_t i = 0; i < group.size(); ++i) {
    if (next < indices.size() && indices[next] == i) {
      ++next;
      for (const auto& op : group[i].ops)
        spans.wait_on(op.id);
      waiting.push_back(std::move(group[i]));
      continue;
    }
    kept.push_back(std::move(group[i]));
    kept_outcomes.push_back(std::move(outcomes[i]));
  }
  group = std::move(kept);
  outcomes = std::move(kept_outcomes);
}

bool partition::impl::requeue_waiting() {
  if (!ids_freed)
    return false;
  ids_freed = false;
  if (waiting.empty())
    return false;
  spans.stop_waiting();
  queue.push_front(std::move(waiting));
  waiting.clear();
  return true;
}

// Group N+1 is decided against N's writes while N is written; it is handed
// to the writer only once N is durable, and decided again from what is
// stored if N's write failed: nothing decided on a failed write is written
// or acknowledged.
void partition::impl::pipeline(std::vector<detail::pending_batch> group) {
  // Already written: learn it now rather than decide on it.
  if (in_flight && writer.written())
    settle_in_flight();
  learn_from_reads();
  auto next = std::make_shared<in_flight_group>();
  next->started = std::chrono::steady_clock::now();
  do {
    next->decided = detail::decide_group(
      *db, group, in_flight ? &in_flight->decided.writes : nullptr, &known,
      prepared, spans);
  } while (!settle_in_flight());
  // Held from now on, for the groups decided while this one is written;
  // a refused span's ids are free from now on.
  // (Releases first: a hold of this group may have taken an id a release
  // of this group freed.)
  for (auto span : next->decided.released_now)
    spans.release(span);
  ids_freed |= !next->decided.released_now.empty();
  for (const auto& [span, id] : next->decided.new_holds)
    spans.hold(span, id);
  set_aside(group, next->decided.outcomes, next->decided.waiting);
  next->group = std::move(group);
  in_flight = next;
  // The writer owns the group too: its callbacks may still run after the
  // committer settled it.
  writer.submit(
    next->decided.batch,
    [this, next](const rocksdb::Status& s) { finish(*next, s); },
    next->decided.span_steps);
}

bool partition::impl::settle_in_flight() {
  if (!in_flight)
    return true;
  auto s = writer.wait_written();
  auto done = std::move(in_flight);
  if (!s.ok()) {
    known.forget_all();
    note_forgetting();
    // Its holds were refused with it; its applies keep holding (the
    // span's intent may be durable: nothing else may write those ids).
    for (const auto& [span, id] : done->decided.new_holds)
      spans.release(span);
    ids_freed |= !done->decided.new_holds.empty();
    return false;
  }
  for (auto span : done->decided.released)
    spans.release(span);
  ids_freed |= !done->decided.released.empty();
  for (const auto& rec : done->decided.read)
    known.remember(rec);
  for (const auto& [id, rec] : done->decided.writes)
    known.remember(rec);
  note_forgetting();
  return true;
}

void partition::impl::drain() {
  settle_in_flight();
  writer.wait_idle();
}

void partition::impl::finish(in_flight_group& g, const rocksdb::Status& s) {
  auto& d = g.decided;
  bool committed = s.ok() && d.batch.Count() > 0;
  if (!s.ok())
    detail::fail_staged(d.outcomes,
                        detail::commit_error(s, opts.sync || d.span_steps));
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

void partition::impl::commit_checked(std::vector<detail::pending_batch>& group) {
  known.forget_all();
  auto started = std::chrono::steady_clock::now();
  auto result = detail::commit_group(*db, opts.sync, group, hook(), nullptr,
                                     prepared, spans);
  note_forgetting();
  for (auto span : result.released_now)
    spans.release(span);
  ids_freed |= !result.released_now.empty();
  if (!result.write_failed) {
    for (auto span : result.released)
      spans.release(span);
    ids_freed |= !result.released.empty();
    for (const auto& [span, id] : result.new_holds)
      spans.hold(span, id);
  }
  set_aside(group, result.outcomes, result.waiting);
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

void partition::impl::deliver_all(std::vector<detail::pending_batch>& group,
                              std::vector<outcome>& outcomes,
                              bool committed) {
  // A hold writes nothing; a forget has no records.
  auto wrote = [&](size_t i) {
    return committed && outcomes[i] && !outcomes[i]->empty()
           && group[i].role != detail::span_role::hold;
  };
  if (opts.on_commit)
    for (size_t i = 0; i < group.size(); ++i)
      if (wrote(i))
        opts.on_commit(*outcomes[i]);
  for (size_t i = 0; i < group.size(); ++i) {
    if (wrote(i)) {
      // A span's apply is the rest of a batch its lead counted.
      if (group[i].role != detail::span_role::apply)
        ++batches_committed;
      writes_committed += outcomes[i]->size();
    }
    deliver(group[i].done, std::move(outcomes[i]));
  }
}

// A hint is taken only for an id the committer does not know, from a read
// that began after the committer last forgot anything: every id committed
// since is known until it forgets, so an id it does not know was not
// committed since the read began, and what the read saw is still stored.
void partition::impl::learn_from_reads() {
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

void partition::impl::note_forgetting() {
  if (known.forgettings() == forgettings_seen)
    return;
  forgettings_seen = known.forgettings();
  // The committer is the only writer: nothing is newer but the group in
  // flight, whose ids `learn_from_reads` refuses until it is settled (and
  // then knows, or forgets again after it landed).
  trusted_from = db->GetLatestSequenceNumber();
}

bool partition::impl::run_alone(std::function<void()> job) {
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

std::function<void()> partition::impl::hook() const {
  std::lock_guard<std::mutex> guard{hook_mtx};
  return before_commit;
}

caf::expected<std::unique_ptr<partition>> partition::open(store_options opts) {
  auto db = detail::open_db(opts);
  if (!db)
    return std::move(db.error());
  auto state = std::make_unique<impl>(std::move(opts), std::move(db->db),
                                      std::move(db->dropped));
  if (auto err = state->load_prepared())
    return err;
  return std::unique_ptr<partition>{new partition(std::move(state))};
}

partition::partition(std::unique_ptr<impl> ptr) : impl_(std::move(ptr)) {
  impl_->committer = std::thread{[state = impl_.get()] { state->run(); }};
  impl_->committer_id = impl_->committer.get_id();
}

partition::~partition() {
  close();
}

void partition::close() {
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

void partition::stop_accepting() {
  impl_->queue.close();
}

void partition::commit_async(std::vector<write_op> ops, commit_callback done) {
  if (auto err = validate_batch(ops, impl_->opts.limits)) {
    ++impl_->batches_refused;
    deliver(done, std::move(err));
    return;
  }
  detail::pending_batch batch;
  batch.ops = std::move(ops);
  batch.done = std::move(done);
  if (!impl_->queue.push(batch))
    deliver(batch.done, make_error(errc::closed, "the store is closed"));
}

caf::expected<std::vector<record>> partition::commit(std::vector<write_op> ops) {
  std::promise<outcome> promise;
  auto result = promise.get_future();
  commit_async(std::move(ops),
               [&promise](outcome x) { promise.set_value(std::move(x)); });
  return result.get();
}

store_stats partition::stats() const {
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

void partition::queue_step(detail::pending_batch step) {
  if (!impl_->queue.push(step))
    deliver(step.done, make_error(errc::closed, "the store is closed"));
}

std::optional<prepared_txn>
partition::find_prepared(const std::string& txn) const {
  return impl_->prepared.find(txn);
}

caf::expected<std::vector<std::pair<std::string, std::string>>>
partition::intents() const {
  std::vector<std::pair<std::string, std::string>> found;
  auto first = detail::intent_prefix();
  auto end = first;
  end.back() = static_cast<char>(end.back() + 1);
  rocksdb::Slice upper{end};
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it{impl_->db->NewIterator(ro)};
  for (it->Seek(first); it->Valid(); it->Next())
    found.emplace_back(it->key().ToString(), it->value().ToString());
  if (!it->status().ok())
    return detail::storage_error("listing intents", it->status());
  return found;
}

caf::error partition::forget_intent(const std::string& key) {
  caf::error result;
  auto ran = impl_->run_alone([&] {
    rocksdb::WriteOptions wo;
    wo.sync = true;
    if (auto s = impl_->db->Delete(wo, key); !s.ok())
      result = detail::storage_error("deleting an intent", s);
  });
  if (!ran)
    return make_error(errc::closed, "the store is closed");
  return result;
}

bool partition::on_committer() const noexcept {
  return impl_->on_committer();
}

std::string partition::identity() const {
  std::string id;
  if (!impl_->db->GetDbIdentity(id).ok())
    return {};
  return id;
}

const std::vector<std::string>& partition::salvage_report() const noexcept {
  return impl_->salvaged;
}

const store_options& partition::options() const noexcept {
  return impl_->opts;
}

rocksdb::OptimisticTransactionDB* partition::raw_db() noexcept {
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

void partition::set_before_commit_hook(std::function<void()> hook) {
  impl_->outside_writer = true;
  std::lock_guard<std::mutex> guard{impl_->hook_mtx};
  impl_->before_commit = std::move(hook);
}

} // namespace entact::storage
