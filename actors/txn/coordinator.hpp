#pragma once

#include <unordered_map>

#include "entact/interfaces.hpp"
#include "txn/txn_actor.hpp"

namespace entact::detail {

/// The coordinator as spawned: its API plus the store's batch outcomes.
using coordinator_actor = coordinator_api::extend<
  caf::reacts_to<done_atom, uint64_t, std::vector<record>>,
  caf::reacts_to<done_atom, uint64_t, caf::error>>;

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
  std::unordered_map<txn_id, txn_actor> txns;
  /// Transaction actor ids, to forget a transaction when its actor ends.
  std::unordered_map<caf::actor_id, txn_id> by_actor;
  static inline const char* name = "entact.coordinator";
};

/// Starts transactions and forwards each call to its transaction's actor.
/// A transaction's id is also its wait-die age unless a retry passes the
/// age of its first attempt. Ids are never reused, so a call on a finished
/// transaction is always `errc::unknown_transaction`.
coordinator_actor::behavior_type
coordinator(coordinator_actor::stateful_pointer<coordinator_state> self,
            const txn_context* ctx);

} // namespace entact::detail
