#pragma once

#include <functional>
#include <future>
#include <string>

#include <caf/expected.hpp>

#include "entact/conflict.hpp"
#include "entact/errc.hpp"
#include "entact/modify_op.hpp"
#include "entact/not_found.hpp"
#include "entact/record.hpp"
#include "entact/result.hpp"
#include "entact/retry_policy.hpp"
#include "entact/scan.hpp"
#include "entact/transaction.hpp"
#include "entact/txn.hpp"
#include "entact/watch.hpp"
#include "entact/write_op.hpp"

namespace entact {

/// Receives the outcome of an asynchronous call. Runs on one of the
/// engine's threads: it must not block.
using record_callback = std::function<void(caf::expected<record>)>;

/// What a user of entities sees, embedded or remote: reads, versioned
/// writes, and their asynchronous forms. Every call is thread-safe.
///
/// Errors are `caf::error`s of entact's category; `code_of(err)` gives the
/// `errc`, `conflict_of(err)` the payload of a conflict, and `stored_of(err)`
/// the record stored when a call answered `conflict` or `not_found` (for
/// `not_found`: the tombstone, or version 0 if the entity never existed).
class database {
public:
  virtual ~database() = default;

  /// The committed record of `id`, through its entity actor.
  /// Linearizable: never older than any record of `id` that any read
  /// (`get`, `read`, `read_many`) has returned before this call began, nor
  /// than any write acknowledged before it. Read-your-writes: the entity
  /// takes calls in arrival order, and a `get` answers only after every
  /// write to `id` that reached the entity before it has finished
  /// (committed or failed), so this caller's earlier writes, async ones
  /// included, are visible; writes queued behind a transaction's lock make
  /// it wait for that lock (use `read` for a look that never waits, and
  /// the transaction handle inside a transaction's body). Usually answered
  /// from the entity's cache; from storage while a commit it has not
  /// learned may be visible.
  /// Errors: `not_found` (absent or deleted; `stored_of` gives the
  /// tombstone with its version, or version 0), `invalid_argument`/
  /// `too_large` (bad id), `timeout`, `closed`.
  virtual caf::expected<record> get(const entity_id& id) = 0;

  /// The committed record of `id`, read straight from storage without
  /// queueing behind writes or going through the entity: linearizable like
  /// `get` (never older than anything read or acknowledged before), but it
  /// does not wait for this caller's writes still in flight. Same errors as
  /// `get`.
  virtual caf::expected<record> read(const entity_id& id) = 0;

  /// The committed records of `ids`, all from one consistent snapshot (so
  /// never half of a transaction or batch; linearizable like `read`), in
  /// the order of `ids`. Absent entities
  /// read as `version == no_version`, deleted ones as their tombstone.
  /// At most `limits::max_read_ids` ids (4096 by default; a remote client
  /// gets its server's limit). Errors: `too_large` (more ids than that, or
  /// an id over `max_id_bytes`), `invalid_argument` (bad id),
  /// `storage_failure`, `closed`.
  virtual caf::expected<std::vector<record>>
  read_many(const std::vector<entity_id>& ids) = 0;

  /// One page of what is stored: the records whose id starts with
  /// `req.prefix` and sorts strictly after `req.after` (empty: from the
  /// first), in id order (bytewise), at most `req.limit` of them (at least
  /// 1; 100 if not set; a larger limit than `limits::max_scan_records`,
  /// 1000 by default, is not refused: the page holds at most that many) and at
  /// most `limits::max_read_bytes` bytes of ids and values (a record alone
  /// always fits: each page makes progress). Tombstones only with
  /// `req.include_deleted`. `next_after` is set iff more may follow: pass it
  /// as the next request's `after` for the next page.
  ///
  /// Each page comes from one storage snapshot, so it is consistent within
  /// itself and linearizable like `read_many`: no record in it is older
  /// than any version of its id that a read returned, or a write
  /// acknowledged, before the call began. No snapshot is held across
  /// pages: a record written between two pages is seen by the later one
  /// if its id sorts after the cursor, and one deleted meanwhile is not;
  /// an id that existed throughout appears exactly once across the pages.
  /// Errors: `invalid_argument` (a limit of 0, a prefix or cursor that is not id characters, or
  /// a database that cannot scan), `too_large` (a prefix or cursor over
  /// `max_id_bytes`), `cross_shard` (a cluster: a scan spans shards),
  /// `storage_failure`, `closed`, `timeout`, `unreachable`.
  virtual caf::expected<scan_page> scan(const scan_request& req);

  /// Runs a pessimistic transaction: locks `ids` exclusively (wait-die on
  /// the transaction's age, each wait bounded by `opts.lock_wait`), calls `body` with their
  /// committed records, and commits everything it staged atomically in one
  /// RocksDB commit that re-checks every version — or nothing. Meanwhile
  /// plain writes to those entities wait and then apply on top of the
  /// transaction's result; `read` and `read_many` stay available.
  ///
  /// A transaction aborted by wait-die (an older one held a lock) or by a
  /// conflict with a write from outside is retried per `retry` with its
  /// original age (assigned by the coordinator; `opts.retry_of` may name an
  /// earlier attempt to keep its age, see `txn_options`), so it is not
  /// starved. `body` may therefore run more than
  /// once: it must only read through `transaction` and stage writes.
  ///
  /// Returns one record per id, in the order of `ids`: for an id the body
  /// wrote, the record as committed (its new version, or the tombstone of
  /// an erase); for one it did not, the record it read under the lock (so a
  /// read-only transaction returns what it read). Errors: what `body`
  /// returned, unchanged (nothing written: a body's own `aborted`, such as
  /// "insufficient funds", is the only `aborted` transact returns);
  /// `retries_exhausted` (every attempt `retry` allows died by wait-die or
  /// conflicted; nothing written; `cause_of` gives the last attempt's
  /// error); `invalid_argument` (no ids, duplicates, bad id, write to an id
  /// not locked, an `opts.retry_of` that may not be retried); `too_large` (more entities than `max_txn_entities`,
  /// oversized value); `lock_timeout`; `lease_expired` (the body took
  /// longer than `opts.lease`); `storage_failure`; `in_doubt`; `timeout`;
  /// `closed`.
  virtual caf::expected<std::vector<record>>
  transact(const std::vector<entity_id>& ids, const txn_body& body,
           const txn_options& opts = {}, const retry_policy& retry = {})
    = 0;

  /// Applies `op` and waits for the outcome: the new record once durable,
  /// or `conflict` (payload via `conflict_of`), `not_found` (the stored
  /// tombstone or version-0 record via `stored_of`; see README's table),
  /// `invalid_argument`, `too_large`, `version_overflow`, `overloaded`,
  /// `storage_failure`, `in_doubt`, `timeout`, `closed`.
  virtual caf::expected<record> apply(write_op op) = 0;

  /// Applies several ops to distinct entities atomically, optimistically:
  /// each op's version is checked, and all commit in one RocksDB commit or
  /// none do. Returns the new records in op order; errors as `apply`
  /// (`conflict` names the first stale op), plus `invalid_argument` for an
  /// empty batch or two ops on one id and `too_large` past
  /// `max_txn_entities` ops. Takes no locks (see `transact` for that).
  virtual caf::expected<std::vector<record>>
  apply_batch(std::vector<write_op> ops) = 0;

  /// Applies `op` without waiting; `done` gets what `apply` would return.
  /// Thousands of these may be in flight at once. Calls on one entity made
  /// from one thread are applied in the order they were made.
  virtual void apply_async(write_op op, record_callback done) = 0;

  /// `apply_async` as a future.
  std::future<caf::expected<record>> apply_future(write_op op);

  /// Runs the registered operation `op.name` with `op.arg` on the
  /// committed record of `op.id` inside its entity actor, writes the
  /// result, and returns the new record once it is durable (the same sync
  /// as `apply`). Concurrent modifications of one entity never conflict:
  /// each one is linearizable with every other write to the entity, reads
  /// the record as committed (never a write still in flight), and gets a
  /// version of its own; those that queue while the entity's store write is
  /// in flight are coalesced into one store write. Writes and transactions
  /// on the entity interleave in arrival order (a modification waits for a
  /// transaction's lock like a write does).
  ///
  /// Built-in operations: `add` (the value is a decimal signed 64-bit
  /// integer, absent or deleted counts as 0; `arg` is the decimal amount;
  /// overflow is refused), `append` (`arg`'s bytes after the value; absent
  /// or deleted: empty), `set_if_version` (`arg` is `VERSION:VALUE`: sets
  /// VALUE if the entity is at VERSION, 0 if it never existed, else
  /// `conflict`). An embedded engine adds its own through
  /// `engine_options::operations`; a remote client names the server's.
  /// An operation cannot delete.
  ///
  /// Errors: `invalid_argument` (unknown operation, bad name or id, or the
  /// operation refused, e.g. `add` on "abc" or an overflow: nothing
  /// written), `conflict` (`set_if_version` at another version, payload
  /// via `conflict_of`), `too_large` (argument or new value),
  /// `version_overflow`, `overloaded`, `storage_failure`, `in_doubt`,
  /// `timeout`, `closed`. A refused modification fails alone: the others
  /// coalesced with it are unaffected.
  virtual caf::expected<record> modify(modify_op op) = 0;

  /// `modify` without waiting; `done` gets what `modify` would return.
  /// Calls on one entity made from one thread are applied in order (with
  /// `apply_async` calls too).
  virtual void modify_async(modify_op op, record_callback done) = 0;

  /// Watches `id`: calls `cb` with every record of `id` committed with a
  /// version above `after_version` (a delete as its tombstone), whichever
  /// call wrote it (writes, modifications, batches, transactions, other
  /// clients), in version order, never one older than one delivered
  /// before, and each once. If the entity is already past
  /// `after_version`, its current record comes first (`lagged` if that
  /// skips versions), so a watcher that read version V and watches after
  /// V misses nothing. A watcher that falls behind by more than its queue
  /// (`engine_options::watch_queue` events or `watch_queue_bytes`) gets
  /// one `lagged` event with the record current then, not an unbounded
  /// backlog; writers never wait for watchers. The watch runs until the
  /// handle is cancelled or destroyed, or an error ends it (`closed`,
  /// `unreachable`: delivered to `cb` as its last call).
  /// Errors: `invalid_argument` (bad id, empty callback, or a database
  /// that cannot watch), `too_large` (too many watches: the engine's
  /// `max_watches`, or a server's bound per connection), `closed`,
  /// `timeout`, `unreachable`.
  virtual caf::expected<watch_handle>
  watch(const entity_id& id, version_t after_version, watch_callback cb);

  /// `modify` of `id` with operation `name` and argument `arg`, e.g.
  /// `db.modify("counter/1", "add", "5")`. (Classes overriding `modify`
  /// bring this overload back with `using database::modify;`.)
  caf::expected<record> modify(const entity_id& id, std::string name,
                               std::string arg = {});

  /// `modify_async` as a future.
  std::future<caf::expected<record>> modify_future(modify_op op);

  /// Replaces the value if the stored version is `expected`.
  caf::expected<record> update(const entity_id& id, version_t expected,
                               std::string value);

  /// Creates the entity if it is absent or deleted (continuing the version
  /// sequence after a tombstone); `conflict` if it exists.
  caf::expected<record> create(const entity_id& id, std::string value);

  /// Deletes the entity if the stored version is `expected`, leaving a
  /// tombstone; returns the tombstone.
  caf::expected<record> erase(const entity_id& id, version_t expected);

  /// Last-write-wins: replaces whatever is stored, without a version check.
  /// This is how updates get lost; use it only when that is intended.
  caf::expected<record> write_unconditionally(const entity_id& id,
                                              std::string value);
};

} // namespace entact
