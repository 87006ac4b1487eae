#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include <rocksdb/utilities/optimistic_transaction_db.h>

#include "entact/storage/prepared.hpp"
#include "entact/storage/record_codec.hpp"
#include "entact/storage/store.hpp"
#include "support/store_open.hpp"

// What the two-phase-commit storage tests share: a prepare request, and a
// look at raw keys of a store.

namespace entact::storage {

inline std::ostream& operator<<(std::ostream& os, decision x) {
  return os << to_string(x);
}

} // namespace entact::storage

namespace entact::test {

/// A prepare of `ops` as `txn`, participants "node-a" and "node-b", the
/// decision held by "node-a".
inline storage::prepare_request prepare_of(std::string txn,
                                           std::vector<write_op> ops) {
  return {std::move(txn), std::move(ops), {"node-a", "node-b"}, "node-a"};
}

/// The raw value under `key`, empty if absent (read behind the store's
/// back: ends its trust in being the only writer, harmless for reads).
inline std::string raw_value(storage::store& s, const std::string& key) {
  std::string bytes;
  auto st = s.raw_db()->Get(rocksdb::ReadOptions{}, key, &bytes);
  return st.ok() ? bytes : std::string{};
}

/// Writes `bytes` under `key` behind the store's back.
inline bool raw_put(storage::store& s, const std::string& key,
                    const std::string& bytes) {
  rocksdb::WriteOptions wo;
  wo.sync = true;
  return s.raw_db()->Put(wo, key, bytes).ok();
}

} // namespace entact::test
