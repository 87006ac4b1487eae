#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include "entact/storage/prepared.hpp"
#include "entact/twopc.hpp"
#include "internal.hpp"
#include "twopc/held_ids.hpp"
#include "twopc/twopc_jobs.hpp"

namespace entact::detail {

/// A transaction actor's prepare, handed to the prepared table: the
/// request for storage and the txn id its locks are held under.
struct prepare_handover {
  storage::prepare_request req;
  txn_id lock_txn = 0;
};

} // namespace entact::detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(entact::detail::prepare_handover)

namespace entact::detail {

/// The prepared table's periodic check for transactions to ask about.
using resolve_atom = caf::atom_constant<caf::atom("p_resolve")>;
/// The decision holder's periodic sweep of its commit decisions.
using decision_sweep_atom = caf::atom_constant<caf::atom("d_sweep")>;
/// Asks for `decision_stats`.
using decision_stats_atom = caf::atom_constant<caf::atom("d_stats")>;
/// Answers once the locks of the transactions found prepared at open are
/// taken again.
using ready_atom = caf::atom_constant<caf::atom("p_ready")>;

/// The one place where an engine keeps its prepared transactions, by
/// name: it owns their locks (taken under `prepared_age` with
/// `prepared_lease`) until a decision ends them. The by-name calls of
/// `coordinator_api` are delegated here.
using prepared_table_actor = caf::typed_actor<
  caf::replies_to<prepare_atom, prepare_handover>::with<bool>,
  caf::replies_to<commit_prepared_atom, std::string, bool>::with<
    std::vector<record>>,
  caf::replies_to<abort_prepared_atom, std::string>::with<bool>,
  caf::replies_to<decision_atom, std::string>::with<twopc_outcome>,
  caf::replies_to<forget_atom, std::string>::with<bool>,
  caf::replies_to<prepared_atom>::with<std::vector<prepared_info>>,
  caf::replies_to<ready_atom>::with<bool>,
  caf::replies_to<decision_stats_atom>::with<decision_stats>,
  caf::reacts_to<resolve_atom>, caf::reacts_to<decision_sweep_atom>>;

/// What the prepared table needs. Outlives it.
struct twopc_context {
  router_actor router;
  storage::store* store = nullptr;
  held_ids* held = nullptr;
  /// `engine_options::twopc_*`.
  std::string name;
  std::chrono::milliseconds decision_wait{0};
  std::function<caf::expected<twopc_outcome>(const std::string&,
                                             const std::string&)>
    ask;
  std::chrono::milliseconds ask_after{0};
  std::chrono::milliseconds ask_backoff{0};
  /// `engine_options::twopc_check_prepared` and `twopc_forget_after`.
  std::function<caf::expected<bool>(const std::string&, const std::string&)>
    check_prepared;
  std::chrono::milliseconds forget_after{0};
  /// `engine_options::twopc_test_hook` (testing only): called on the io
  /// runner with a step's name once it is durable, before it is answered.
  std::function<void(const char*)> test_hook;
  /// Runs the store's 2PC calls, and the `ask` hook (apart: a holder that
  /// does not answer must not hold up decisions).
  runner_actor io;
  runner_actor asker;
};

struct prepared_entry {
  using clock = std::chrono::steady_clock;
  storage::prepared_txn txn;
  txn_id lock_txn = 0;
  uint64_t asks = 0;
  /// What the last question got (`prepared_info::last_answer`).
  std::string last_answer;
  /// A question (or, at the holder, a decision job) is under way.
  bool asking = false;
  clock::time_point next_ask{};
  std::chrono::milliseconds backoff{0};
};

/// A commit decision the sweep found its participants still holding (or
/// could not reach one): not asked about again before `next`.
struct sweep_retry {
  prepared_entry::clock::time_point next{};
  std::chrono::milliseconds backoff{0};
  /// Its participants are being asked now.
  bool checking = false;
};

/// The decision holder's sweep (prepared_resolve.hpp): where the next page
/// of decisions starts, the decisions waiting to be asked again, counters.
struct decision_sweep_state {
  std::string cursor;
  std::map<std::string, sweep_retry> retry;
  size_t checking = 0;
  bool listing = false;
  uint64_t sweeps = 0;
  uint64_t checks = 0;
  uint64_t forgotten = 0;
};

struct prepared_table_state {
  std::map<std::string, prepared_entry> entries;
  /// Names recently ended here and how, oldest first (bounded): what a
  /// resent commit or abort is answered.
  std::unordered_map<std::string, twopc_outcome> recent;
  std::deque<std::string> recent_order;
  /// Locks of transactions found prepared at open, not yet taken again.
  size_t locks_pending = 0;
  std::vector<caf::typed_response_promise<bool>> ready_waiters;
  bool resolve_armed = false;
  decision_sweep_state sweep;
  static inline const char* name = "entact.prepared_table";
};

/// Ids at entities of the locks of transactions found prepared at open:
/// above every id the coordinator gives out.
constexpr txn_id restored_lock_base = txn_id{1} << 62;

/// Most names remembered in `recent`.
constexpr size_t max_recent_outcomes = 4096;

/// The prepared table: starts with the transactions `restored` from the
/// store (locking their ids again at once), and asks the decision holder
/// of every transaction older than `ask_after` for its outcome (itself,
/// when it is the holder), applying what it learns.
prepared_table_actor::behavior_type
prepared_table(prepared_table_actor::stateful_pointer<prepared_table_state> self,
               const twopc_context* ctx,
               std::vector<storage::prepared_txn> restored);

/// The ids a prepared transaction holds: those it writes.
std::vector<entity_id> ids_of(const storage::prepared_txn& txn);

} // namespace entact::detail
