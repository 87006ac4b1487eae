#include "systems/baselines.hpp"

#include <cstdio>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/optimistic_transaction_db.h>
#include <rocksdb/utilities/transaction.h>
#include <rocksdb/utilities/transaction_db.h>
#include <rocksdb/write_batch.h>

#include <entact/storage/record_codec.hpp>

namespace bench {

namespace {

/// The same options entact's store opens RocksDB with
/// (storage/src/open_db.cpp), so baselines and entact differ only above
/// RocksDB.
rocksdb::Options baseline_options() {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.IncreaseParallelism(2);
  rocksdb::BlockBasedTableOptions table;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.block_cache = rocksdb::NewLRUCache(64 << 20);
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return options;
}

void check_ok(const rocksdb::Status& s, const char* what) {
  if (!s.ok())
    throw std::runtime_error(std::string{what} + ": " + s.ToString());
}

rocksdb::WriteOptions write_options(bool sync) {
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  return wo;
}

/// Writes version 1 of every entity in large unsynced batches, then
/// flushes the memtable so every system starts from SST files.
void preload_db(rocksdb::DB* db, const dataset& data) {
  rocksdb::WriteBatch batch;
  for (size_t i = 0; i < data.size(); ++i) {
    entact::record r{data.ids[i], 1, make_value(data.value_bytes, i), false};
    check_ok(batch.Put(data.keys[i], entact::storage::encode_record(r)), "put");
    if (batch.Count() >= 1000 || i + 1 == data.size()) {
      check_ok(db->Write(write_options(false), &batch), "preload");
      batch.Clear();
    }
  }
  check_ok(db->Flush(rocksdb::FlushOptions{}), "flush");
}

uint64_t version_of(const std::string& id, const std::string& bytes) {
  auto r = entact::storage::decode_record(id, bytes);
  if (!r)
    throw std::runtime_error("undecodable record of " + id);
  return r->version;
}

/// Parses RocksDB's abbreviated counts ("63K", "1.2M").
double parse_count(const std::string& s, size_t pos) {
  size_t used = 0;
  double x = std::stod(s.substr(pos), &used);
  switch (pos + used < s.size() ? s[pos + used] : ' ') {
    case 'K': return x * 1e3;
    case 'M': return x * 1e6;
    case 'G': return x * 1e9;
    default: return x;
  }
}

/// The number just before `label` in `text`, searching from `from`.
double count_before(const std::string& text, size_t from,
                    const std::string& label) {
  auto end = text.find(label, from);
  if (end == std::string::npos || end == 0)
    return 0;
  auto begin = text.rfind(' ', end - 1);
  begin = begin == std::string::npos ? 0 : begin + 1;
  return parse_count(text, begin);
}

std::atomic<uint64_t> next_generation{1};

/// Each client thread reuses one transaction object per database
/// (RocksDB's BeginTransaction(..., old_txn)), as a tuned application would.
struct txn_cache {
  uint64_t generation = 0;
  std::unique_ptr<rocksdb::Transaction> txn;
};

thread_local txn_cache tls_txn;

} // namespace

dataset::dataset(const std::string& prefix, size_t n, size_t value_bytes)
  : value_bytes(value_bytes) {
  ids.reserve(n);
  keys.reserve(n);
  char buf[32];
  for (size_t i = 0; i < n; ++i) {
    std::snprintf(buf, sizeof(buf), "%08zu", i);
    ids.push_back(prefix + "/" + buf);
    keys.push_back(entact::storage::entity_key(ids.back()));
  }
}

std::string make_value(size_t bytes, uint64_t seq) {
  std::string v(bytes, 'v');
  auto digits = std::to_string(seq);
  v.replace(0, std::min(digits.size(), bytes), digits, 0,
            std::min(digits.size(), bytes));
  return v;
}

std::string counter_value(uint64_t n, size_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%020llu",
                static_cast<unsigned long long>(n));
  std::string v = buf;
  if (v.size() < bytes)
    v.append(bytes - v.size(), '.');
  return v;
}

uint64_t parse_counter(const std::string& value) {
  return std::stoull(value.substr(0, 20));
}

write_counters write_counters_of(rocksdb::DB* db) {
  write_counters c;
  std::string text;
  if (!db->GetProperty("rocksdb.dbstats", &text))
    return c;
  auto w = text.find("Cumulative writes:");
  if (w != std::string::npos) {
    c.writes = count_before(text, w, " writes,");
    c.groups = count_before(text, w, " commit groups");
  }
  auto l = text.find("Cumulative WAL:");
  if (l != std::string::npos)
    c.syncs = count_before(text, l, " syncs");
  return c;
}

known_versions::known_versions(size_t n, uint64_t initial)
  : v_(new std::atomic<uint64_t>[n]) {
  for (size_t i = 0; i < n; ++i)
    v_[i].store(initial, std::memory_order_relaxed);
}

void known_versions::learn(size_t k, uint64_t version) {
  auto cur = v_[k].load(std::memory_order_relaxed);
  while (cur < version
         && !v_[k].compare_exchange_weak(cur, version,
                                         std::memory_order_relaxed))
    ; // retry
}

void back_off(const entact::retry_policy& policy, unsigned attempt,
              std::mt19937_64& rng) {
  auto cap = policy.initial_backoff * (int64_t{1} << std::min(attempt, 20u));
  cap = std::min(cap, policy.max_backoff);
  std::uniform_int_distribution<int64_t> pick{0, cap.count()};
  std::this_thread::sleep_for(std::chrono::microseconds{pick(rng)});
}

// -- raw_optimistic -----------------------------------------------------------

raw_optimistic::raw_optimistic(const std::string& path, bool sync)
  : generation_(next_generation++), sync_(sync) {
  rocksdb::OptimisticTransactionDB* raw = nullptr;
  check_ok(rocksdb::OptimisticTransactionDB::Open(baseline_options(), path, &raw),
        "open OptimisticTransactionDB");
  db_.reset(raw);
}

raw_optimistic::~raw_optimistic() {
  if (tls_txn.generation == generation_)
    tls_txn.txn.reset();
}

void raw_optimistic::preload(const dataset& data) {
  preload_db(db_->GetBaseDB(), data);
}

void raw_optimistic::preload_one(const std::string& id,
                                 const std::string& value) {
  entact::record r{id, 1, value, false};
  check_ok(db_->Put(write_options(true), entact::storage::entity_key(id),
                 entact::storage::encode_record(r)),
        "put");
}

namespace {

rocksdb::Transaction* begin(rocksdb::OptimisticTransactionDB& db,
                            uint64_t generation, bool sync) {
  auto& c = tls_txn;
  if (c.generation != generation) {
    c.txn.reset();
    c.generation = generation;
  }
  rocksdb::OptimisticTransactionOptions topts;
  auto* t = db.BeginTransaction(write_options(sync), topts, c.txn.get());
  if (t != c.txn.get())
    c.txn.reset(t);
  return t;
}

} // namespace

outcome raw_optimistic::update(const dataset& data, size_t k,
                               uint64_t expected, const std::string& value,
                               uint64_t& seen, std::string& error) {
  auto* txn = begin(*db_, generation_, sync_);
  std::string bytes;
  auto s = txn->GetForUpdate(rocksdb::ReadOptions{}, data.keys[k], &bytes);
  if (!s.ok()) {
    error = s.ToString();
    txn->Rollback();
    return outcome::error;
  }
  auto stored = version_of(data.ids[k], bytes);
  if (stored != expected) {
    seen = stored;
    txn->Rollback();
    return outcome::conflict;
  }
  entact::record next{data.ids[k], expected + 1, value, false};
  txn->Put(data.keys[k], entact::storage::encode_record(next));
  s = txn->Commit();
  if (s.ok()) {
    seen = expected + 1;
    return outcome::ok;
  }
  if (s.IsBusy() || s.IsTryAgain())
    return outcome::conflict;
  error = s.ToString();
  return outcome::error;
}

outcome raw_optimistic::increment(const std::string& id,
                                  const entact::retry_policy& policy,
                                  size_t value_bytes, slot& s) {
  auto key = entact::storage::entity_key(id);
  for (unsigned n = 0; n < policy.max_attempts; ++n) {
    ++s.attempts;
    auto* txn = begin(*db_, generation_, sync_);
    std::string bytes;
    auto st = txn->GetForUpdate(rocksdb::ReadOptions{}, key, &bytes);
    if (!st.ok()) {
      s.first_error = st.ToString();
      txn->Rollback();
      return outcome::error;
    }
    auto cur = entact::storage::decode_record(id, bytes);
    entact::record next{id, cur->version + 1,
                        counter_value(parse_counter(cur->value) + 1,
                                      value_bytes),
                        false};
    txn->Put(key, entact::storage::encode_record(next));
    st = txn->Commit();
    if (st.ok())
      return outcome::ok;
    if (!st.IsBusy() && !st.IsTryAgain()) {
      s.first_error = st.ToString();
      return outcome::error;
    }
    ++s.conflicts;
    if (n + 1 < policy.max_attempts)
      back_off(policy, n, s.rng);
  }
  return outcome::gave_up;
}

uint64_t raw_optimistic::read(const std::string& id, std::string* value) {
  std::string bytes;
  auto s = db_->Get(rocksdb::ReadOptions{}, entact::storage::entity_key(id),
                    &bytes);
  if (s.IsNotFound())
    return 0;
  check_ok(s, "get");
  auto r = entact::storage::decode_record(id, bytes);
  if (value)
    *value = r->value;
  return r->version;
}

write_counters raw_optimistic::counters() {
  return write_counters_of(db_->GetBaseDB());
}

// -- raw_pessimistic ----------------------------------------------------------

raw_pessimistic::raw_pessimistic(const std::string& path, bool sync)
  : sync_(sync) {
  rocksdb::TransactionDB* raw = nullptr;
  check_ok(rocksdb::TransactionDB::Open(baseline_options(),
                                     rocksdb::TransactionDBOptions{}, path,
                                     &raw),
        "open TransactionDB");
  db_.reset(raw);
}

raw_pessimistic::~raw_pessimistic() = default;

void raw_pessimistic::preload(const dataset& data) {
  preload_db(db_->GetBaseDB(), data);
}

outcome raw_pessimistic::two_key_update(const dataset& data,
                                        std::mt19937_64& rng, uint64_t seq,
                                        std::string& error) {
  auto a = data.pick(rng);
  auto b = data.pick(rng);
  while (b == a)
    b = data.pick(rng);
  if (b < a)
    std::swap(a, b);
  std::unique_ptr<rocksdb::Transaction> txn{
    db_->BeginTransaction(write_options(sync_))};
  auto value = make_value(data.value_bytes, seq);
  for (auto k : {a, b}) {
    std::string bytes;
    auto s = txn->GetForUpdate(rocksdb::ReadOptions{}, data.keys[k], &bytes);
    if (!s.ok()) {
      txn->Rollback();
      if (s.IsTimedOut() || s.IsBusy() || s.IsDeadlock())
        return outcome::conflict;
      error = s.ToString();
      return outcome::error;
    }
    entact::record next{data.ids[k], version_of(data.ids[k], bytes) + 1,
                        value, false};
    txn->Put(data.keys[k], entact::storage::encode_record(next));
  }
  auto s = txn->Commit();
  if (s.ok())
    return outcome::ok;
  error = s.ToString();
  return outcome::error;
}

write_counters raw_pessimistic::counters() {
  return write_counters_of(db_->GetBaseDB());
}

// -- locked_map ---------------------------------------------------------------

locked_map::locked_map(const std::string& path, bool sync) : sync_(sync) {
  rocksdb::DB* raw = nullptr;
  check_ok(rocksdb::DB::Open(baseline_options(), path, &raw), "open DB");
  db_.reset(raw);
}

locked_map::~locked_map() = default;

void locked_map::preload(const dataset& data) {
  preload_db(db_.get(), data);
  map_.reserve(data.size());
  for (size_t i = 0; i < data.size(); ++i)
    map_[data.ids[i]] = entry{1, make_value(data.value_bytes, i)};
}

void locked_map::preload_one(const std::string& id, const std::string& value) {
  entact::record r{id, 1, value, false};
  check_ok(db_->Put(write_options(true), entact::storage::entity_key(id),
                 entact::storage::encode_record(r)),
        "put");
  map_[id] = entry{1, value};
}

outcome locked_map::update(const dataset& data, size_t k, uint64_t expected,
                           const std::string& value, uint64_t& seen,
                           std::string& error) {
  {
    // The cheap check first, under the shared lock.
    std::shared_lock<std::shared_mutex> guard{mtx_};
    auto v = map_.find(data.ids[k])->second.version;
    if (v != expected) {
      seen = v;
      return outcome::conflict;
    }
  }
  // Check again and write under the exclusive lock: the RocksDB write must
  // happen while no one else can change the entry.
  std::unique_lock<std::shared_mutex> guard{mtx_};
  auto& e = map_.find(data.ids[k])->second;
  if (e.version != expected) {
    seen = e.version;
    return outcome::conflict;
  }
  entact::record next{data.ids[k], expected + 1, value, false};
  auto s = db_->Put(write_options(sync_), data.keys[k],
                    entact::storage::encode_record(next));
  if (!s.ok()) {
    error = s.ToString();
    return outcome::error;
  }
  e.version = expected + 1;
  e.value = value;
  seen = e.version;
  return outcome::ok;
}

outcome locked_map::increment(const std::string& id, size_t value_bytes,
                              std::string& error) {
  std::unique_lock<std::shared_mutex> guard{mtx_};
  auto& e = map_[id];
  auto value = counter_value(parse_counter(e.value) + 1, value_bytes);
  entact::record next{id, e.version + 1, value, false};
  auto s = db_->Put(write_options(sync_), entact::storage::entity_key(id),
                    entact::storage::encode_record(next));
  if (!s.ok()) {
    error = s.ToString();
    return outcome::error;
  }
  e.version = next.version;
  e.value = std::move(value);
  return outcome::ok;
}

uint64_t locked_map::counter(const std::string& id) {
  std::string bytes;
  check_ok(db_->Get(rocksdb::ReadOptions{}, entact::storage::entity_key(id),
                 &bytes),
        "get");
  auto r = entact::storage::decode_record(id, bytes);
  return parse_counter(r->value);
}

} // namespace bench

namespace bench {
write_counters locked_map::counters() {
  return write_counters_of(db_.get());
}
} // namespace bench
