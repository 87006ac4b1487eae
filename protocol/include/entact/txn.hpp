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
///
/// Its wait-die age is not the caller's to choose: the coordinator gives
/// every transaction a fresh age (its id: the smaller, the older) unless it
/// is the retry of an earlier attempt, named by `retry_of` and
/// `retry_token` (see `retry_options`). Such a retry keeps the age of that
/// attempt, so it gets older, not starved. The coordinator accepts it only
/// if it issued that attempt, the attempt ended without committing (it
/// died, was aborted, timed out or conflicted) and no other retry named it
/// before: one successor per attempt, so an age cannot be copied into
/// several transactions. Otherwise `begin` is refused with
/// `errc::invalid_argument`, and nothing changes. It remembers the last
/// `engine_options::max_retryable_txns` ended attempts; a retry of one
/// forgotten since gets a fresh age, like a new transaction, and so does a
/// retry after 64 successive retries of one age.
struct txn_options {
  /// Longest wait for each lock (`errc::lock_timeout` past it).
  caf::timespan lock_wait = std::chrono::milliseconds{1000};
  /// Longest life of the transaction: past it, it is aborted
  /// (`errc::lease_expired`) and its locks are released.
  caf::timespan lease = std::chrono::milliseconds{5000};
  /// 0 for a new transaction; else the id of the attempt this one retries.
  txn_id retry_of = 0;
  /// The `token` of that attempt's handle: only who began an attempt
  /// knows it, so no one else can take its age.
  uint64_t retry_token = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, txn_options& x) {
  return f(caf::meta::type_name("entact::txn_options"), x.lock_wait, x.lease,
           x.retry_of, x.retry_token);
}

/// What `begin` answers: the transaction's id, the age the coordinator gave
/// it, and the secret a retry of it must show.
struct txn_handle {
  txn_id id = 0;
  uint64_t age = 0;
  uint64_t token = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, txn_handle& x) {
  return f(caf::meta::type_name("entact::txn_handle"), x.id, x.age, x.token);
}

/// `opts` for a retry of the attempt `earlier` (which has ended without
/// committing): the retry keeps its age.
inline txn_options retry_options(txn_options opts, const txn_handle& earlier) {
  opts.retry_of = earlier.id;
  opts.retry_token = earlier.token;
  return opts;
}

/// What `(begin_atom, options, ids)` answers: a transaction begun and its
/// locks taken in one round trip. If taking the locks failed, `error` says
/// why and the transaction has ended; a retry names `handle` (see
/// `retry_options`) to keep its age.
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
