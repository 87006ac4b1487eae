// `store`: the partitions of a store, and the routing of every call to the
// partition (or partitions) its ids live in. With one partition every call
// is that partition's.

#include "entact/storage/store.hpp"

#include <future>

#include "entact/errc.hpp"
#include "entact/id_hash.hpp"
#include "partition_layout.hpp"
#include "store_impl.hpp"

namespace entact::storage {

namespace {

using outcome = caf::expected<std::vector<record>>;

// Every counter summed, every histogram merged bucket by bucket (the
// partitions count into the same buckets).
void add_counts(bucket_counts& into, const bucket_counts& x) {
  if (into.counts.empty()) {
    into = x;
    return;
  }
  for (size_t i = 0; i < into.counts.size() && i < x.counts.size(); ++i)
    into.counts[i] += x.counts[i];
  into.sum += x.sum;
}

void add_stats(store_stats& into, const store_stats& x) {
  into.groups += x.groups;
  into.batches_committed += x.batches_committed;
  into.batches_refused += x.batches_refused;
  into.retries += x.retries;
  into.ids_read += x.ids_read;
  into.ids_known += x.ids_known;
  into.committer_cpu_ns += x.committer_cpu_ns;
  into.writer_cpu_ns += x.writer_cpu_ns;
  into.writes_committed += x.writes_committed;
  add_counts(into.group_batches, x.group_batches);
  add_counts(into.commit_seconds, x.commit_seconds);
}

} // namespace

size_t store::partition_of(std::string_view id, size_t count) noexcept {
  // Mixed first: a cluster places ids on shards by `fnv1a_64 % shards`, so
  // the same low bits would put all of a node's ids in few partitions.
  auto h = fnv1a_64(id);
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return static_cast<size_t>((h >> 32) % count);
}

caf::expected<std::unique_ptr<store>> store::open(store_options opts) {
  if (opts.path.empty())
    return make_error(errc::invalid_argument, "store path is empty");
  auto layout = detail::resolve_layout(opts.path, opts.partitions);
  if (!layout)
    return std::move(layout.error());
  auto state = std::make_unique<impl>();
  std::vector<std::string> identities;
  for (size_t k = 0; k < layout->paths.size(); ++k) {
    auto part_opts = opts;
    part_opts.path = layout->paths[k];
    auto p = partition::open(std::move(part_opts));
    if (!p)
      return std::move(p.error());
    for (const auto& line : (*p)->salvage_report())
      state->salvaged.push_back(layout->paths.size() == 1
                                  ? line
                                  : "partition " + std::to_string(k) + ": "
                                      + line);
    identities.push_back((*p)->identity());
    state->parts.push_back(std::move(*p));
  }
  if (auto err = detail::record_or_check_identities(opts.path, *layout,
                                                    identities))
    return err;
  if (auto err = state->finish_intents())
    return err;
  opts.partitions = state->parts.size();
  state->opts = std::move(opts);
  return std::unique_ptr<store>{new store(std::move(state))};
}

store::store(std::unique_ptr<impl> ptr) : impl_(std::move(ptr)) {
  // nop
}

store::~store() {
  close();
}

void store::close() {
  // From a commit callback a partition may not wait for its own
  // committer, nor for a span that needs it: only stop accepting.
  if (impl_->on_committer()) {
    {
      std::lock_guard<std::mutex> guard{impl_->span_mtx};
      impl_->closing = true;
    }
    // A span under way then fails at its next step; if it had passed its
    // commit point, the next open finishes it.
    for (auto& p : impl_->parts)
      p->stop_accepting();
    return;
  }
  impl_->stop_spans();
  for (auto& p : impl_->parts)
    p->close();
}

void store::commit_async(std::vector<write_op> ops, commit_callback done) {
  if (impl_->parts.size() == 1) {
    impl_->parts.front()->commit_async(std::move(ops), std::move(done));
    return;
  }
  // A batch of one partition is its partition's to refuse once closed; a
  // spanning one, `begin_span`'s.
  auto count = impl_->parts.size();
  auto first = ops.empty() ? 0 : partition_of(ops.front().id, count);
  bool one = std::all_of(ops.begin(), ops.end(), [&](const write_op& op) {
    return partition_of(op.id, count) == first;
  });
  // An empty or invalid batch is refused by the partition, before it is
  // queued.
  if (one || ops.empty()) {
    impl_->parts[first]->commit_async(std::move(ops), std::move(done));
    return;
  }
  for (const auto& op : ops)
    if (auto err = validate(op, impl_->opts.limits)) {
      if (done)
        done(std::move(err));
      return;
    }
  impl_->commit_spanning(std::move(ops), std::move(done));
}

caf::expected<std::vector<record>> store::commit(std::vector<write_op> ops) {
  std::promise<outcome> promise;
  auto result = promise.get_future();
  commit_async(std::move(ops),
               [&promise](outcome x) { promise.set_value(std::move(x)); });
  return result.get();
}

caf::expected<size_t> store::install(const std::vector<record>& records) {
  if (impl_->parts.size() == 1)
    return impl_->parts.front()->install(records);
  if (records.size() > max_install_records)
    return impl_->parts.front()->install(records); // refused there
  // Atomic per partition; a retried install writes only what is missing.
  std::vector<std::vector<record>> split(impl_->parts.size());
  for (const auto& rec : records)
    split[partition_of(rec.id, split.size())].push_back(rec);
  size_t written = 0;
  for (size_t k = 0; k < split.size(); ++k) {
    if (split[k].empty())
      continue;
    auto n = impl_->parts[k]->install(split[k]);
    if (!n)
      return n;
    written += *n;
  }
  return written;
}

caf::error store::fence(std::function<bool(const entity_id&)> refuse) {
  for (auto& p : impl_->parts)
    if (auto err = p->fence(refuse))
      return err;
  return {};
}

const std::vector<std::string>& store::salvage_report() const noexcept {
  return impl_->salvaged;
}

store_stats store::stats() const {
  store_stats result;
  for (const auto& p : impl_->parts)
    add_stats(result, p->stats());
  {
    std::lock_guard<std::mutex> guard{impl_->span_mtx};
    result.spanning_batches = impl_->last_span;
  }
  result.partitions = impl_->parts.size();
  return result;
}

const store_options& store::options() const noexcept {
  return impl_->opts;
}

std::string store::identity() const {
  return impl_->parts.front()->identity();
}

rocksdb::OptimisticTransactionDB* store::raw_db() noexcept {
  return impl_->parts.front()->raw_db();
}

void store::set_before_commit_hook(std::function<void()> hook) {
  for (auto& p : impl_->parts)
    p->set_before_commit_hook(hook);
}

} // namespace entact::storage
