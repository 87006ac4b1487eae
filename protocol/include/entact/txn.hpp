#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/timespan.hpp>

#include "entact/record.hpp"

namespace entact {

/// Identifies a pessimistic transaction at its coordinator.
using txn_id = uint64_t;

/// How a pessimistic transaction waits and how long it may hold its locks.
struct txn_options {
  /// Longest wait for each lock (`errc::lock_timeout` past it).
  caf::timespan lock_wait = std::chrono::milliseconds{1000};
  /// Longest life of the transaction: past it, it is aborted
  /// (`errc::lease_expired`) and its locks are released.
  caf::timespan lease = std::chrono::milliseconds{5000};
  /// Age for the wait-die rule: 0 for a new transaction; a retry passes the
  /// age of its first attempt so that it gets older, not starved.
  uint64_t age = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, txn_options& x) {
  return f(caf::meta::type_name("entact::txn_options"), x.lock_wait, x.lease,
           x.age);
}

/// What `begin` answers: the transaction's id and age.
struct txn_handle {
  txn_id id = 0;
  uint64_t age = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, txn_handle& x) {
  return f(caf::meta::type_name("entact::txn_handle"), x.id, x.age);
}

/// What `(begin_atom, options, ids)` answers: a transaction begun and its
/// locks taken in one round trip. If taking the locks failed, `error` says
/// why and the transaction has ended; a retry passes `handle.age` to keep
/// its age.
struct txn_begun {
  txn_handle handle;
  /// The committed records of the locked ids, in the order asked for.
  std::vector<record> locked;
  caf::error error;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, txn_begun& x) {
  return f(caf::meta::type_name("entact::txn_begun"), x.handle, x.locked,
           x.error);
}

/// One write of a transaction. The version to check is not the caller's to
/// choose: it is the version the transaction read when it took the lock.
struct txn_write {
  entity_id id;
  /// Delete the entity (leave a tombstone) instead of storing `value`.
  bool erase = false;
  std::string value;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, txn_write& x) {
  return f(caf::meta::type_name("entact::txn_write"), x.id, x.erase, x.value);
}

} // namespace entact
