#pragma once

#include <array>
#include <atomic>
#include <map>
#include <vector>

#include <caf/typed_response_promise.hpp>

#include "entact/errc.hpp"
#include "internal.hpp"
#include "twopc/prepared_table.hpp"

namespace entact::detail {

/// Starts a transaction on an idle transaction actor: its handle, options
/// and owner, and (in the form that replies) its first lock call.
using txn_start_atom = caf::atom_constant<caf::atom("t_start")>;

/// Runs pessimistic transactions, one at a time, as an actor: the
/// coordinator starts one per `begin` on an idle actor (spawning one only
/// when none is idle) and forwards the transaction's calls to it. Every
/// message names its transaction: one for another (ended) transaction is
/// answered `unknown_transaction` or dropped.
using txn_actor = caf::typed_actor<
  caf::reacts_to<txn_start_atom, txn_handle, txn_options,
                 caf::strong_actor_ptr>,
  caf::replies_to<txn_start_atom, txn_handle, txn_options,
                  caf::strong_actor_ptr, std::vector<entity_id>>::with<
    std::vector<record>>,
  caf::replies_to<lock_atom, txn_id, std::vector<entity_id>>::with<
    std::vector<record>>,
  caf::replies_to<commit_atom, txn_id, std::vector<txn_write>>::with<
    std::vector<record>>,
  caf::replies_to<abort_atom, txn_id>::with<bool>,
  caf::replies_to<prepare_atom, txn_id, std::vector<txn_write>,
                  txn_prepare>::with<bool>,
  caf::reacts_to<lease_atom, txn_id>,
  caf::reacts_to<done_atom, txn_id, std::vector<record>>,
  caf::reacts_to<done_atom, txn_id, caf::error>>;

/// Where a transaction says that it ended: its coordinator.
using txn_end_listener
  = caf::typed_actor<caf::reacts_to<ended_atom, txn_id, bool>>;

/// What every transaction of one engine shares. Outlives all actors.
struct txn_context {
  router_actor router;
  storage::store* store = nullptr;
  /// Where optimistic batches mark their ids before they commit.
  unpublished* unpublished_batches = nullptr;
  entact::limits limits;
  /// Most entities one transaction may lock.
  size_t max_entities = 0;
  /// Most ended transactions the coordinator remembers for retries.
  size_t max_retryable = 0;
  /// Longest lease (and lock wait) a transaction may ask for.
  caf::timespan max_lease{0};
  /// Where a prepared transaction goes on (twopc/): it takes over the
  /// locks of the ids written.
  prepared_table_actor prepared;
  /// Transactions begun, committed, and ended otherwise by `errc`
  /// (`engine_stats`).
  mutable std::atomic<uint64_t> begun{0};
  mutable std::atomic<uint64_t> committed{0};
  mutable std::array<std::atomic<uint64_t>,
                     static_cast<size_t>(errc::unassigned) + 1>
    aborted{};
};

struct txn_state {
  /// `preparing`: its prepare is under way (twopc/); like `committing`,
  /// only the outcome ends it.
  enum class phase { active, locking, committing, preparing };
  /// False while the actor is idle, between transactions.
  bool running = false;
  txn_handle handle;
  txn_options opts;
  txn_end_listener coordinator;
  /// The caller that began it, monitored until the transaction ends.
  caf::actor_addr owner;
  /// Set once the coordinator was told that the transaction ended.
  bool told_ended = false;
  /// Set once the transaction's end was counted in `txn_context`.
  bool counted = false;
  phase now = phase::active;
  /// Locked entities and their committed records when locked.
  std::map<entity_id, record> locked;
  /// The lock call under way: the ids it asked for (in the caller's order),
  /// those not locked before, and how many answers are still to come.
  std::vector<entity_id> requested;
  std::vector<entity_id> to_lock;
  size_t awaiting = 0;
  /// The ids written by the commit under way, in the caller's order.
  std::vector<entity_id> written;
  caf::typed_response_promise<std::vector<record>> call;
  /// The answer to a prepare under way.
  caf::typed_response_promise<bool> vote;
  static inline const char* name = "entact.txn";
};

/// The answer to a call on a transaction that has ended or never began.
caf::error unknown_transaction(txn_id id);

/// Runs one transaction at a time, each for the owner named when it starts
/// (monitored while it runs: its death aborts the transaction). Locks are requested all at once through the router, under
/// wait-die; commit writes everything in one store batch that re-checks
/// every version read under the locks, then releases the locks, publishing
/// the new records. The lease ends the transaction if it is not committed
/// in time. A refused call (bad ids, a write to an entity not locked)
/// ends the transaction too. However a transaction ends, the actor tells
/// `coordinator` so before its last answer and is idle again once that
/// answer is sent, ready for the next one: an actor per transaction cost a
/// spawn, and at its end a wake-up of CAF's clock thread (every actor that
/// quits cancels its timeouts there), ~8% of all CPU time in W3.
txn_actor::behavior_type txn(txn_actor::stateful_pointer<txn_state> self,
                             txn_end_listener coordinator,
                             const txn_context* ctx);

} // namespace entact::detail
