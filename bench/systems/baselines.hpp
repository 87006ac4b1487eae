#pragma once

// The baselines entact is compared with, written directly against the same
// librocksdb entact links:
// - raw_optimistic: per-operation OptimisticTransactionDB
//   GetForUpdate + Put + Commit (raw-1 from one thread, raw-64 from 64);
// - raw_pessimistic: TransactionDB transactions over two keys (for W3);
// - locked_map: a std::shared_mutex-protected std::unordered_map in front of
//   a plain rocksdb::DB, one RocksDB write per update.
// All of them store records in entact's own encoding (record_codec), so
// they do the same version check and write the same bytes as entact.

#include <atomic>
#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <entact/resolve.hpp>

#include "harness/util.hpp"

namespace rocksdb {
class DB;
class OptimisticTransactionDB;
class TransactionDB;
} // namespace rocksdb

namespace bench {

/// The entities of a workload: ids, their RocksDB keys, and a value size.
struct dataset {
  std::vector<std::string> ids;
  std::vector<std::string> keys; // storage::entity_key(id)
  size_t value_bytes = 100;

  dataset(const std::string& prefix, size_t n, size_t value_bytes);
  size_t size() const {
    return ids.size();
  }
  size_t pick(std::mt19937_64& rng) const {
    return static_cast<size_t>(rng() % ids.size());
  }
};

/// A value of `bytes` bytes that differs per write.
std::string make_value(size_t bytes, uint64_t seq);

/// A counter stored as a value of `bytes` bytes (20 digits, then filler).
std::string counter_value(uint64_t n, size_t bytes);
uint64_t parse_counter(const std::string& value);

/// The version each client believes an entity has: updated from every
/// success and every conflict, never moved backwards.
class known_versions {
public:
  explicit known_versions(size_t n, uint64_t initial = 1);
  uint64_t get(size_t k) const {
    return v_[k].load(std::memory_order_relaxed);
  }
  void learn(size_t k, uint64_t version);

private:
  std::unique_ptr<std::atomic<uint64_t>[]> v_;
};

/// RocksDB's own write-path counters (from the "rocksdb.dbstats"
/// property): writes, commit groups (one WAL write each) and WAL syncs.
struct write_counters {
  double writes = 0;
  double groups = 0;
  double syncs = 0;
};

write_counters write_counters_of(rocksdb::DB* db);

/// Full-jitter exponential backoff, exactly as entact::read_modify_write.
void back_off(const entact::retry_policy& policy, unsigned attempt,
              std::mt19937_64& rng);

class raw_optimistic {
public:
  raw_optimistic(const std::string& path, bool sync);
  ~raw_optimistic();

  /// Writes version 1 of every entity (not timed), then flushes.
  void preload(const dataset& data);
  void preload_one(const std::string& id, const std::string& value);

  /// An update of entity `k` at `expected`: GetForUpdate, version check,
  /// Put, Commit. `seen` gets the version found or written.
  outcome update(const dataset& data, size_t k, uint64_t expected,
                 const std::string& value, uint64_t& seen,
                 std::string& error);

  /// Optimistic read-modify-write of a counter with retries (W4).
  outcome increment(const std::string& id, const entact::retry_policy& policy,
                    size_t value_bytes, slot& s);

  /// The stored record's version and value (0 if absent).
  uint64_t read(const std::string& id, std::string* value = nullptr);

  write_counters counters();

private:
  std::unique_ptr<rocksdb::OptimisticTransactionDB> db_;
  uint64_t generation_;
  bool sync_;
};

class raw_pessimistic {
public:
  raw_pessimistic(const std::string& path, bool sync);
  ~raw_pessimistic();
  void preload(const dataset& data);
  write_counters counters();
  /// One transaction over two distinct random entities: lock both (sorted
  /// order), read, write both at version + 1, commit.
  outcome two_key_update(const dataset& data, std::mt19937_64& rng,
                         uint64_t seq, std::string& error);

private:
  std::unique_ptr<rocksdb::TransactionDB> db_;
  bool sync_;
};

class locked_map {
public:
  locked_map(const std::string& path, bool sync);
  ~locked_map();
  void preload(const dataset& data);
  void preload_one(const std::string& id, const std::string& value);
  outcome update(const dataset& data, size_t k, uint64_t expected,
                 const std::string& value, uint64_t& seen,
                 std::string& error);
  /// Read-modify-write of a counter under the exclusive lock (W4).
  outcome increment(const std::string& id, size_t value_bytes,
                    std::string& error);
  uint64_t counter(const std::string& id);
  write_counters counters();

private:
  struct entry {
    uint64_t version = 0;
    std::string value;
  };
  std::unique_ptr<rocksdb::DB> db_;
  bool sync_;
  std::shared_mutex mtx_;
  std::unordered_map<std::string, entry> map_;
};

} // namespace bench
