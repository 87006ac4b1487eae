#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "entact/entity_id.hpp"

#include "entact/limits.hpp"
#include "entact/operation.hpp"
#include "entact/twopc.hpp"

namespace entact {

/// How an embedded engine opens and behaves.
struct engine_options {
  /// The RocksDB directory; created if missing.
  std::string path;
  /// Sync the WAL before acknowledging a write (no acknowledged write lost
  /// even on power failure). Off: a machine crash may lose the last writes.
  bool sync = true;
  /// Partitions of the store (`storage::store_options::partitions`): each
  /// with its own WAL and committer, so durable writes of different
  /// entities sync in parallel; a batch or transaction whose entities live
  /// in several is still atomic, at the cost of a second group commit.
  /// Fixed when the data directory is created; 0: whatever it holds (1
  /// for a new one).
  size_t partitions = 0;
  /// Most entity actors kept alive; past it the least recently used idle
  /// ones are passivated.
  size_t resident_cap = 100000;
  /// An entity actor with nothing to do for this long is passivated.
  std::chrono::milliseconds idle_timeout = std::chrono::seconds{30};
  /// Most requests queued at one entity; past it requests get `overloaded`.
  size_t max_queue_per_entity = 4096;
  /// Most calls in flight in the engine at once (0: no bound), so latency
  /// stays bounded under overload: past it `apply_async` is answered
  /// `overloaded` at once, and a blocking call waits for a free slot within
  /// its deadline (then `overloaded`).
  size_t max_calls_in_flight = 4096;
  /// Most entities one pessimistic transaction may lock.
  size_t max_txn_entities = 64;
  /// Most ended transactions the coordinator remembers so that a retry may
  /// keep their wait-die age (see `txn_options`); a retry of one forgotten
  /// since begins with a fresh age. About 64 bytes each.
  size_t max_retryable_txns = 16384;
  /// Longest `txn_options::lease` and `lock_wait` a transaction may ask
  /// for (`invalid_argument` past it): no caller, remote ones included,
  /// holds locks longer than this.
  std::chrono::milliseconds max_lease = std::chrono::seconds{60};
  /// Deadline of each blocking call (`timeout` past it); also how long a
  /// plain write may wait behind a transaction's lock.
  std::chrono::milliseconds request_timeout = std::chrono::seconds{30};
  /// Most watches (`database::watch`) open at once, embedded and remote
  /// together (`too_large` past it).
  size_t max_watches = 65536;
  /// Most events, and value bytes, one watch queues for a watcher that is
  /// behind; past either it gets one `lagged` event instead.
  size_t watch_queue = 1024;
  size_t watch_queue_bytes = 8 * 1024 * 1024;
  /// Most watches one remote connection may hold (`too_large` past it);
  /// they end when the connection does.
  size_t max_watches_per_connection = 1024;
  /// Worker threads of the actor system (0: one per core).
  size_t worker_threads = 0;
  /// Size limits for ids, values and reads (`max_read_ids`).
  entact::limits limits;
  /// The service's own operations for `modify`, by name, beside the
  /// built-ins (`add`, `append`, `set_if_version`). Fixed once the engine
  /// is open. `open` refuses (`invalid_argument`) a bad name (see
  /// `validate_operation_name`), a built-in's name or an empty function.
  /// See `operation_fn` for what an operation may do.
  operation_map operations;
  /// Asked by the front door (what `entact::serve` publishes) before each
  /// call it forwards, with the ids the call names (none for a `begin`
  /// without ids, for `stats` and `abort` it is not asked): a non-empty
  /// error refuses the call with that error, nothing done. Cluster nodes
  /// answer `wrong_node` for another node's shard and `unavailable` while
  /// they cannot prove their session (cluster/). Empty: everything is
  /// served. Runs on the actor system's threads: must not block.
  std::function<caf::error(const std::vector<entity_id>& ids)> admit;

  // Two-phase commit (README, "Two-phase commit: participant").

  /// This engine's name as a participant and decision holder: a
  /// prepared transaction whose `decision_holder` is this name is decided
  /// here. Empty: it is the holder of no prepared transaction (decision
  /// queries still answer under presumed abort).
  std::string twopc_name;
  /// How long the decision holder leaves a transaction it prepared
  /// undecided before a decision query (or its own recovery) aborts it.
  std::chrono::milliseconds twopc_decision_wait = std::chrono::seconds{10};
  /// Asks decision holder `holder` for the outcome of transaction `txn`
  /// (e.g. over the network). Runs on a thread of its own, one question at
  /// a time, and must return in bounded time: an error (holder
  /// unreachable) or `undecided` keeps the transaction prepared and its
  /// ids held, and it is asked again later. Empty: only a coordinator's
  /// decision ends a prepared transaction whose holder is another engine.
  std::function<caf::expected<twopc_outcome>(const std::string& holder,
                                             const std::string& txn)>
    twopc_ask;
  /// A prepared transaction is asked about (or, at its holder, decided by
  /// presumed abort) only once it is this old: its coordinator normally
  /// decides first. Then again after `twopc_ask_backoff`, doubling up to
  /// 32 times that while the holder has no answer.
  std::chrono::milliseconds twopc_ask_after = std::chrono::seconds{2};
  std::chrono::milliseconds twopc_ask_backoff = std::chrono::milliseconds{100};
  /// At the decision holder: asks participant `participant` whether it
  /// still holds transaction `txn` prepared (e.g. over the network, see
  /// `entact::prepared_dialer`). Runs on the thread of `twopc_ask`, one
  /// question at a time, and must return in bounded time. A `commit`
  /// decision older than `twopc_forget_after` is deleted once every
  /// participant but this engine (`twopc_name`) answered `false`; an error
  /// or `true` keeps it, asked again with the backoff of `twopc_ask`.
  /// Empty (or no `twopc_name`): a decision is deleted only by `forget`
  /// from the coordinator.
  std::function<caf::expected<bool>(const std::string& participant,
                                    const std::string& txn)>
    twopc_check_prepared;
  /// How old a commit decision is before the holder's sweep asks its
  /// participants about it; the sweep runs this often (at least every
  /// `twopc_ask_backoff`).
  std::chrono::milliseconds twopc_forget_after = std::chrono::seconds{5};
  /// Testing only (entactd's `--twopc-test-crash-at`): called with the
  /// name of each 2PC step once it is durable and before it is answered:
  /// "prepared" (a vote), "decided" (the holder's commit as decision),
  /// "committed" (a participant's commit sent by a coordinator). Runs on
  /// the thread of the store's 2PC calls; and, on a committer thread, the
  /// steps of a batch spanning partitions ("span-held", "span-led",
  /// "span-applied": `storage::store_options::span_test_hook`). Empty:
  /// nothing is called.
  std::function<void(const char* step)> twopc_test_hook;
};

} // namespace entact
