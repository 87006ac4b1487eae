#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include "entact/database.hpp"
#include "entact/engine_options.hpp"
#include "entact/engine_stats.hpp"
#include "entact/interfaces.hpp"
#include "entact/register_types.hpp"

namespace entact {

/// An embedded entact engine: entity actors in a CAF actor system over a
/// RocksDB directory.
///
/// ```
/// auto eng = entact::engine::open({/*path=*/"/var/lib/app/entities"});
/// if (!eng) { /* eng.error() */ }
/// auto rec = (*eng)->create("user/42", "Ada");
/// auto upd = (*eng)->update("user/42", rec->version, "Ada L.");
/// if (!upd && entact::is_conflict(upd.error())) { /* resolve */ }
/// ```
class engine : public database {
public:
  /// Opens the engine on `opts.path`, recovering everything committed
  /// before. Errors: `invalid_argument` (bad options), `storage_failure`
  /// (RocksDB could not open the directory, e.g. in use by another process).
  ///
  /// The engine runs its own actor system, built from `cfg` when given (a
  /// server passes its parsed configuration with the middleman loaded) or
  /// from a default `entact::config`.
  static caf::expected<std::unique_ptr<engine>>
  open(engine_options opts, std::unique_ptr<entact::config> cfg = nullptr);

  /// Closes the engine (see `close`).
  ~engine() override;

  /// Stops accepting requests (they get `closed`), waits for every accepted
  /// write to commit, stops all actors and closes RocksDB. Idempotent.
  void close();

  caf::expected<record> get(const entity_id& id) override;
  caf::expected<record> read(const entity_id& id) override;
  caf::expected<std::vector<record>>
  read_many(const std::vector<entity_id>& ids) override;
  caf::expected<scan_page> scan(const scan_request& req) override;
  caf::expected<std::vector<record>>
  transact(const std::vector<entity_id>& ids, const txn_body& body,
           const txn_options& opts = {},
           const retry_policy& retry = {}) override;
  caf::expected<record> apply(write_op op) override;
  caf::expected<std::vector<record>>
  apply_batch(std::vector<write_op> ops) override;
  void apply_async(write_op op, record_callback done) override;
  using database::modify;
  caf::expected<record> modify(modify_op op) override;
  void modify_async(modify_op op, record_callback done) override;
  caf::expected<watch_handle> watch(const entity_id& id,
                                    version_t after_version,
                                    watch_callback cb) override;

  /// The engine's counters (entities, commits, refusals; see
  /// `engine_stats`), waiting at most `request_timeout`. Errors: `closed`,
  /// `timeout`.
  caf::expected<engine_stats> stats();

  /// The same within `wait`, and never refused as `overloaded` (for
  /// monitoring, e.g. the HTTP gateway's `/metrics`).
  caf::expected<engine_stats> stats(std::chrono::milliseconds wait);

  /// The transactions prepared here and not yet decided (README,
  /// "Two-phase commit: participant"), with their age, participants and
  /// decision holder. Errors: `closed`, `timeout`.
  caf::expected<std::vector<prepared_info>> prepared_transactions();

  /// The decision records this engine keeps as a decision holder, and what
  /// its sweep (`engine_options::twopc_check_prepared`) did so far.
  /// Errors: `closed`, `timeout`, `storage_failure`.
  caf::expected<entact::decision_stats> decision_stats();

  /// The router, for actors that talk to the engine by message.
  router_api router() const;

  /// The transaction coordinator, for actors (and remote clients) that run
  /// interactive transactions by message. The sender of `begin` owns the
  /// transaction.
  coordinator_api coordinator() const;

  /// The one actor to publish for remote clients (see `server_api`).
  server_api front_door() const;

  /// The actor system the engine runs in. It ends with `close`: whoever
  /// keeps actors or handles of their own in it registers `on_close`.
  caf::actor_system& system();

  /// Runs `hook` once, at the start of `close` (after new calls are
  /// refused, before any of the engine's actors stops), so that a facility
  /// built on `system()` -- e.g. the HTTP gateway's interactive
  /// transactions -- ends its actors and drops its handles while the system
  /// still runs. Runs `hook` at once if the engine is already closing. The
  /// hook must not call the engine; it may outlive what it captures, so
  /// capture weakly.
  void on_close(std::function<void()> hook);

  // Shard moves between cluster nodes (README, "Moving a shard";
  // cluster/mover). Each blocks until the committer has done it.

  /// Writes records copied from another node with their versions, each
  /// only if newer than the stored one (`storage::store::install`).
  /// Errors: those of `store::install`, `closed`.
  caf::expected<size_t> install(const std::vector<record>& records);

  /// Refuses (`unavailable`) every later write of an id for which
  /// `refuse(id)` is true; every earlier one is durable when it returns
  /// (`storage::store::fence`; empty `refuse` lifts it). Errors: `closed`.
  caf::error fence(std::function<bool(const entity_id&)> refuse);

  /// True if a prepared two-phase-commit transaction holds an id for which
  /// `pred(id)` is true.
  bool holds_prepared(const std::function<bool(const entity_id&)>& pred) const;

  /// The options the engine was opened with.
  const engine_options& options() const noexcept;

  struct impl;

private:
  explicit engine(std::unique_ptr<impl> ptr);
  void run_close_hooks();
  std::unique_ptr<impl> impl_;
};

} // namespace entact
