#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <caf/expected.hpp>

#include "entact/storage/store.hpp"

namespace entact::storage::detail {
struct pending_batch;
} // namespace entact::storage::detail

namespace entact::storage {

/// One RocksDB database with its own WAL and committer: a whole store of
/// one partition, or one of several (`store` routes ids to them by hash).
/// Its calls are `store`'s for the ids that live here, with the same
/// contracts (see store.hpp), plus the steps of a batch that spans
/// partitions (span_steps.cpp).
class partition {
public:
  using commit_callback = store::commit_callback;

  static caf::expected<std::unique_ptr<partition>> open(store_options opts);
  ~partition();

  partition(const partition&) = delete;
  partition& operator=(const partition&) = delete;

  caf::expected<record> read(std::string_view id) const;
  caf::expected<std::vector<record>>
  read_many(const std::vector<entity_id>& ids) const;
  caf::expected<scan_page> scan(const scan_request& req) const;
  void commit_async(std::vector<write_op> ops, commit_callback done);
  caf::expected<std::vector<record>> commit(std::vector<write_op> ops);

  caf::expected<prepared_txn> prepare(prepare_request req);
  caf::expected<std::vector<record>> commit_prepared(std::string_view txn);
  caf::expected<std::vector<record>>
  commit_prepared_as_decision(std::string_view txn);
  caf::error abort_prepared(std::string_view txn);
  std::vector<prepared_txn> prepared() const;
  /// The transaction `txn` if it is prepared here.
  std::optional<prepared_txn> find_prepared(const std::string& txn) const;
  caf::error record_decision(std::string_view txn, decision d,
                             std::vector<std::string> participants);
  caf::expected<decision> decision_of(std::string_view txn) const;
  caf::error forget_decision(std::string_view txn);
  caf::expected<std::vector<decision_info>>
  decisions(std::string_view after, size_t limit) const;
  caf::expected<uint64_t> decision_count() const;

  caf::expected<size_t> install(const std::vector<record>& records);
  caf::error fence(std::function<bool(const entity_id&)> refuse);

  /// Queues one step of a spanning batch (`pending_batch::role` set, see
  /// span_steps.cpp) among the batches of the next group; `step.done` is
  /// answered as a batch's. Answers `closed` once the partition is closed.
  void queue_step(detail::pending_batch step);

  /// The spanning batches' intents recorded here (key, encoded value), for
  /// recovery at open. Errors: `storage_failure`.
  caf::expected<std::vector<std::pair<std::string, std::string>>>
  intents() const;

  /// Deletes the intent under `key` (synced), at recovery once its writes
  /// are installed everywhere. Errors: `storage_failure`, `closed`.
  caf::error forget_intent(const std::string& key);

  void close();
  /// Refuses later writes (`closed`), as `close` does first, and returns.
  void stop_accepting();
  const std::vector<std::string>& salvage_report() const noexcept;
  store_stats stats() const;
  const store_options& options() const noexcept;
  /// RocksDB's unique identity of this database (its IDENTITY file);
  /// empty if it cannot be read.
  std::string identity() const;
  rocksdb::OptimisticTransactionDB* raw_db() noexcept;
  void set_before_commit_hook(std::function<void()> hook);
  /// True on this partition's committer threads (in a commit callback).
  bool on_committer() const noexcept;

private:
  struct impl;
  explicit partition(std::unique_ptr<impl> ptr);
  std::unique_ptr<impl> impl_;
};

} // namespace entact::storage
