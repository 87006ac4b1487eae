#pragma once

// A database that is linearizable by construction -- every call applies
// `entact::decide` under one mutex -- for testing the history test itself:
// recorded through the same workload, it must pass. With `stale_gets`, a
// `get` shortly after a write returns the record from before it, as a
// lagging cache would, and the history test must catch that.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include "entact/database.hpp"

namespace entact::test::history {

class reference_database : public database {
public:
  /// `stale_gets`: a get within `lag` after a write returns the record the
  /// write replaced. Asynchronous writes take effect at once; their
  /// callbacks come up to `callback_delay` later, from another thread.
  explicit reference_database(
    bool stale_gets = false,
    std::chrono::microseconds lag = std::chrono::microseconds{300},
    std::chrono::microseconds callback_delay = std::chrono::microseconds{200});

  ~reference_database() override;

  caf::expected<record> get(const entity_id& id) override;
  caf::expected<record> read(const entity_id& id) override;
  caf::expected<std::vector<record>>
  read_many(const std::vector<entity_id>& ids) override;
  caf::expected<std::vector<record>>
  transact(const std::vector<entity_id>& ids, const txn_body& body,
           const txn_options& opts = {},
           const retry_policy& retry = {}) override;
  caf::expected<record> apply(write_op op) override;
  caf::expected<std::vector<record>>
  apply_batch(std::vector<write_op> ops) override;
  void apply_async(write_op op, record_callback done) override;
  using database::modify;
  caf::expected<record> modify(modify_op op) override;
  void modify_async(modify_op op, record_callback done) override;

private:
  using clock = std::chrono::steady_clock;

  struct slot {
    record now;
    record before;
    clock::time_point changed;
  };

  struct callback {
    clock::time_point due;
    record_callback done;
    caf::expected<record> outcome;
  };

  /// The current record of `id` (mtx_ held).
  record& current(const entity_id& id);
  /// Applies `ops` all or none (mtx_ held).
  caf::expected<std::vector<record>> commit(const std::vector<write_op>& ops);
  void deliver_callbacks();

  bool stale_gets_;
  std::chrono::microseconds lag_;
  std::chrono::microseconds callback_delay_;
  std::mutex mtx_;
  std::map<entity_id, slot> store_;
  std::mutex cb_mtx_;
  std::condition_variable cb_cv_;
  std::deque<callback> callbacks_;
  bool stopping_ = false;
  std::thread cb_thread_;
};

} // namespace entact::test::history
