#pragma once

#include <chrono>
#include <map>
#include <random>
#include <unordered_map>

#include "entact/interfaces.hpp"
#include "txn/retry_table.hpp"
#include "txn/txn_actor.hpp"

namespace entact::detail {

/// The coordinator as spawned: its API plus the store's batch outcomes.
using coordinator_actor = coordinator_api::extend<
  caf::reacts_to<lease_atom>,
  caf::reacts_to<done_atom, uint64_t, std::vector<record>>,
  caf::reacts_to<done_atom, uint64_t, caf::error>,
  caf::reacts_to<ended_atom, txn_id, bool>>;

struct coordinator_state {
  txn_id next_id = 1;
  /// An optimistic batch handed to the store: its caller and its ids,
  /// marked unpublished until each entity hears the outcome.
  struct batch {
    caf::typed_response_promise<std::vector<record>> rp;
    std::vector<entity_id> ids;
  };
  /// Batches handed to the store, by sequence number.
  uint64_t next_batch = 0;
  std::unordered_map<uint64_t, batch> batches;
  /// A running transaction: its actor, what `begin` answered, and how
  /// many retries led to it.
  using clock = std::chrono::steady_clock;
  /// Lease ends of running transactions, soonest first.
  using lease_table = std::multimap<clock::time_point, txn_id>;
  lease_table leases;
  /// When the earliest lease check armed is due (the epoch: none armed).
  /// One timer for all leases, not one per transaction: a timer per
  /// transaction cost CAF's clock thread a message for each, and kept
  /// each ended transaction's actor alive until its lease would have run
  /// out.
  clock::time_point lease_check_due{};
  struct running {
    txn_actor actor;
    txn_handle handle;
    uint32_t retries;
    /// Its entry in `leases`, or `leases.end()` once its lease ran out.
    lease_table::iterator lease;
  };
  std::unordered_map<txn_id, running> txns;
  /// Ended transactions, for retries that keep their age.
  retry_table ended;
  /// Where retry tokens come from: unpredictable, so that no client can
  /// guess the token of another's transaction.
  std::random_device tokens;
  /// Transaction actors by id, and the transaction each runs (0: idle), to
  /// forget a transaction when its actor ends.
  std::unordered_map<caf::actor_id, txn_id> by_actor;
  /// Idle transaction actors, for the next transactions to run on (at
  /// most `max_idle_txn_actors`).
  std::vector<txn_actor> idle;
  static inline const char* name = "entact.coordinator";
};

/// Idle transaction actors kept for reuse; those past it quit. Enough for
/// every client of a busy engine to find one.
constexpr size_t max_idle_txn_actors = 256;

/// Starts transactions and forwards each call to its transaction's actor.
/// It alone assigns wait-die ages: a transaction's id is its age, unless it
/// retries an attempt that may pass its age on (see `txn_options`). Ids are
/// never reused, so a call on a finished transaction is always
/// `errc::unknown_transaction`.
coordinator_actor::behavior_type
coordinator(coordinator_actor::stateful_pointer<coordinator_state> self,
            const txn_context* ctx);

} // namespace entact::detail
