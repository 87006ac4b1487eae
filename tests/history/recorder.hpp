#pragma once

// Records calls to an `entact::database` (embedded or remote) as per-key
// histories for the checker: when each call started and ended on a steady
// clock, and what it returned.
//
// Besides real time, a history carries the session order the engine
// promises (read-your-writes, issue 15): a `get`, and any write on one
// entity, is ordered after every earlier write on that entity the same
// thread made through `apply_async` -- those must have finished
// (committed or failed) first. `read` and `read_many` go straight to
// storage and do not wait for writes in flight; `apply_batch` and
// `transact` go through the coordinator: neither gets that order.

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "entact/database.hpp"
#include "history/history.hpp"

namespace entact::test::history {

/// How a call ended, for counting.
enum class ending : uint8_t {
  ok,
  /// Refused without effect, and the refusal told something (conflict,
  /// not_found; a read of an absent entity).
  refused,
  /// Outcome unknown (timeout, in_doubt, unreachable, closed).
  unknown,
  /// Failed without effect, telling nothing (overloaded, aborted,
  /// lock_timeout, ...): left out of the history.
  failed,
};

constexpr int ending_count = 4;

/// Calls per public call and ending.
struct tally {
  std::array<std::array<uint64_t, ending_count>, api_count> n{};

  uint64_t of(api a, ending e) const {
    return n[static_cast<size_t>(a)][static_cast<size_t>(e)];
  }
  uint64_t calls(api a) const;
  void add(const tally& x);
  /// "get 412 (ok 380, refused 32), ..."
  std::string to_string() const;
};

/// One recording: a clock origin, call ids, and a log per thread.
class recording {
public:
  using clock = std::chrono::steady_clock;

  explicit recording(int threads);

  nanos now() const;

  uint64_t next_id() {
    return ++last_id_;
  }

  /// Every key's history, session order included.
  std::vector<key_history> histories() const;

  tally counts() const;

  /// Calls finished so far (asynchronous ones when their callback ran).
  uint64_t finished() const {
    return finished_;
  }

  /// Waits until `n` calls finished, at most `limit`; false on timeout.
  bool wait_finished(uint64_t n, std::chrono::milliseconds limit);

  struct entry {
    entity_id key;
    key_op op;
    /// False for a call that failed without telling anything.
    bool keep = true;
  };

  /// What one thread did, in the order it did it.
  struct thread_log {
    std::deque<entry> entries;
    std::mutex mtx;
    std::condition_variable idle;
    int in_flight = 0;
  };

  thread_log& log(int thread) {
    return *logs_[static_cast<size_t>(thread)];
  }

  void count(api a, ending e);

private:
  clock::time_point origin_ = clock::now();
  std::atomic<uint64_t> last_id_{0};
  std::vector<std::unique_ptr<thread_log>> logs_;
  std::array<std::array<std::atomic<uint64_t>, ending_count>, api_count>
    counts_{};
  std::atomic<uint64_t> finished_{0};
  std::mutex finished_mtx_;
  std::condition_variable finished_cv_;
};

/// Makes calls for one thread and records them. Each call returns what
/// the database returned, so the caller can learn versions from it.
class recorder {
public:
  recorder(recording& rec, int thread);

  caf::expected<record> get(database& db, const entity_id& id);
  caf::expected<record> read(database& db, const entity_id& id);
  caf::expected<std::vector<record>>
  read_many(database& db, const std::vector<entity_id>& ids);

  /// `op` through its named call: update, create, erase or
  /// write_unconditionally.
  caf::expected<record> write(database& db, const write_op& op);

  /// `modify(id, "append", arg)`, blocking.
  caf::expected<record> append(database& db, const entity_id& id,
                               const std::string& arg);

  /// `op` through `apply_async`; the callback records the outcome.
  void write_async(database& db, write_op op);

  caf::expected<std::vector<record>> batch(database& db,
                                           std::vector<write_op> ops);

  /// A 2-entity transaction: reads `a` and `b` under their locks, puts
  /// `va` into `a`, and puts `vb` into `b` -- or erases `b` if
  /// `erase_b` and `b` exists.
  caf::expected<std::vector<record>>
  transact(database& db, const entity_id& a, const entity_id& b,
           const std::string& va, const std::string& vb, bool erase_b);

  /// Waits until every asynchronous call of this thread got its callback
  /// (at most `limit`); false on timeout.
  bool drain(std::chrono::milliseconds limit = std::chrono::seconds{60});

  /// True if a call since the last `clear_unreachable` failed with
  /// `unreachable`.
  bool saw_unreachable() const {
    return unreachable_;
  }

  void clear_unreachable() {
    unreachable_ = false;
  }

private:
  /// One key's part of a call on several keys.
  struct part {
    entity_id key;
    key_op op;
  };

  key_op start(api call, action act) const;
  /// `get` or `read`, recorded.
  caf::expected<record> read_one(api call, database& db,
                                 const entity_id& id);
  /// Keeps what the outcome `r` of a call on several keys tells, per key.
  void keep_parts(api call, std::vector<part>& parts,
                  const caf::expected<std::vector<record>>& r);
  void keep(const entity_id& key, key_op op);
  void note(const caf::error& err);

  recording& rec_;
  int thread_;
  recording::thread_log& log_;
  bool unreachable_ = false;
};

} // namespace entact::test::history
