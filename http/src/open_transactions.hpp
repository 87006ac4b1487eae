#pragma once

#include <shared_mutex>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/expected.hpp>
#include <caf/timespan.hpp>

#include "entact/interfaces.hpp"
#include "entact/record.hpp"
#include "entact/write_op.hpp"

namespace entact::http {

/// An interactive transaction just begun: its opaque id and the records
/// read under its locks, in the order asked for.
struct begun_txn {
  std::string id;
  std::vector<record> records;
};

/// The gateway's open interactive transactions. One long-lived actor owns
/// them all: the coordinator ties a transaction to the actor that sent its
/// `begin` (and aborts it when that actor dies), and HTTP handler threads
/// are not actors, so they ask this owner by message. At most `max_open`
/// are open at once; each is known by a random 128-bit id and forgotten
/// when it commits, aborts or its lease runs out (the coordinator's lease
/// aborts it and releases its locks).
class open_transactions {
public:
  open_transactions(caf::actor_system& sys, coordinator_api coord,
                    size_t max_open, caf::timespan call_timeout);

  /// `shutdown`.
  ~open_transactions();

  /// Stops the owner (the coordinator aborts every transaction still open)
  /// and drops every handle into the actor system; later calls answer
  /// `closed`. Waits for calls in flight. Idempotent. The engine calls it
  /// (`engine::on_close`) before its actor system ends.
  void shutdown();

  open_transactions(const open_transactions&) = delete;
  open_transactions& operator=(const open_transactions&) = delete;

  /// Begins a transaction that locks `ids` for at most `lease`. Errors:
  /// `overloaded` (`max_open` are open), and what the coordinator's begin
  /// answers (`invalid_argument`, `too_large`, `lock_timeout`, `aborted`,
  /// `timeout`, `closed`).
  caf::expected<begun_txn> begin(std::vector<entity_id> ids,
                                 caf::timespan lease);

  /// Applies each op's version rule to the record read under its lock and
  /// commits them all, or none; the transaction ends either way. Returns
  /// the records of every locked id (as written, or as read). Errors:
  /// `unknown_transaction` (no such open transaction: ended, expired or
  /// never begun), `invalid_argument` (a write to an id not locked, two to
  /// one id), `conflict`, `not_found`, and the coordinator's commit errors.
  caf::expected<std::vector<record>> commit(const std::string& id,
                                            std::vector<write_op> ops);

  /// Aborts the transaction, releasing its locks. Errors:
  /// `unknown_transaction`, `timeout`.
  caf::error abort(const std::string& id);

private:
  /// Shared by calls, exclusive for `shutdown`: no call uses the actor
  /// system once it may be gone.
  mutable std::shared_mutex mtx_;
  bool closed_ = false;
  caf::actor_system& sys_;
  caf::actor owner_;
  caf::timespan timeout_;
};

} // namespace entact::http
