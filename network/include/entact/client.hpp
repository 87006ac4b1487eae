#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include "entact/database.hpp"
#include "entact/engine_stats.hpp"
#include "entact/interfaces.hpp"
#include "entact/tls_options.hpp"

namespace entact {

/// Where and how a client reaches an `entactd` server (or a service that
/// calls `entact::serve`). An aggregate, in this order:
///
/// ```
/// auto db = entact::connect({"10.0.0.7", 7411, std::chrono::seconds{2}});
/// ```
struct client_options {
  /// Address of the server.
  std::string host = "127.0.0.1";
  /// Port of the server (required: 0 is `invalid_argument`).
  uint16_t port = 0;
  /// Deadline of each call (must be positive); past it a call fails with
  /// `timeout` (for a write: outcome unknown). A transaction's steps get
  /// this plus their lock wait.
  std::chrono::milliseconds request_timeout = std::chrono::seconds{30};
  /// Actor system threads of the client (at least 2 are used).
  size_t worker_threads = 2;
  /// TLS (default: none, plaintext). With `tls.ca_file`, the server's
  /// certificate must be signed by that CA and name `host` (or
  /// `tls.server_name`).
  tls_client_options tls = {};
  /// Deadline of the connect (must be positive): the TCP connect, BASP's
  /// handshake and, with TLS, TLS's. Past it `connect` answers
  /// `unreachable`: a server that accepts and then never answers (a frozen
  /// process, whose kernel still completes the TCP handshake) does not
  /// keep the caller waiting.
  std::chrono::milliseconds connect_timeout = std::chrono::seconds{5};
};

/// A remote entact database: the same interface as the embedded `engine`,
/// over CAF's networking (BASP). Conflicts keep their full payload, the
/// resolution helpers and `transact` work unchanged.
///
/// A lost connection is an error, never a hang: calls fail with
/// `errc::unreachable` (or `timeout` once the deadline passes). If this
/// client (or its process) dies during a transaction, the server aborts
/// the transaction and releases its locks.
class client : public database {
public:
  /// Connects to the server; see `entact::connect(client_options)`.
  static caf::expected<std::unique_ptr<client>> connect(client_options opts);

  /// Closes the client (see `close`).
  ~client() override;

  /// Refuses new calls, waits for those in flight and disconnects.
  void close();

  /// False once the connection to the server is known to be lost (calls
  /// made from then on fail with `unreachable` without being sent) or the
  /// client is closed: a caller that routes (the cluster client) connects
  /// anew.
  bool connected() const noexcept;

  caf::expected<record> get(const entity_id& id) override;
  caf::expected<record> read(const entity_id& id) override;
  caf::expected<std::vector<record>>
  read_many(const std::vector<entity_id>& ids) override;
  /// See `database::scan`; under the server's limits (its
  /// `max_scan_records` and `max_read_bytes`).
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
  /// See `database::watch`. The server sends the events to this client's
  /// one watcher actor: all of a client's callbacks run one at a time, on
  /// one thread. The watch ends with `unreachable` when the connection
  /// drops, `closed` when the client closes; the server's per-connection
  /// bound (`max_watches_per_connection`, 1024 by default) answers
  /// `too_large`.
  caf::expected<watch_handle> watch(const entity_id& id,
                                    version_t after_version,
                                    watch_callback cb) override;

  /// The server's counters.
  caf::expected<engine_stats> stats();

  // An interactive transaction driven step by step (the cluster client's
  // cross-node transactions): this client's gateway that sends `begin` owns
  // the transaction, and lives as long as the client. Errors as
  // `coordinator_api`'s, and `unreachable`, `timeout`, `closed`.

  /// Begins and locks `ids` in one round trip (a failure to lock is inside
  /// `txn_begun`); waits `opts.lock_wait` plus the request deadline. An
  /// answer that comes after the deadline aborts its transaction.
  caf::expected<txn_begun> begin(const txn_options& opts,
                                 const std::vector<entity_id>& ids);
  /// Commits begun transaction `txn` with `writes` (one phase).
  caf::expected<std::vector<record>> commit(txn_id txn,
                                            std::vector<txn_write> writes);
  /// Aborts begun transaction `txn`: nothing written, its locks released.
  caf::expected<bool> abort(txn_id txn);

  // Two-phase commit at the server as a participant (README, "Two-phase
  // commit: participant"): thin calls of `coordinator_api`'s 2PC messages,
  // for a remote coordinator. Errors as there, and `unreachable`,
  // `timeout`, `closed`.

  /// Prepares interactive transaction `txn` (begun at this server, e.g.
  /// through `server()`) as `p.name` with `writes`.
  caf::expected<bool> prepare(txn_id txn, std::vector<txn_write> writes,
                              txn_prepare p);
  /// Commits prepared transaction `name`; `as_decision` at its holder.
  caf::expected<std::vector<record>> commit_prepared(const std::string& name,
                                                     bool as_decision);
  caf::expected<bool> abort_prepared(const std::string& name);
  /// Asks the server, as decision holder, for the outcome of `name`.
  caf::expected<twopc_outcome> decision_of(const std::string& name);
  caf::expected<bool> forget_decision(const std::string& name);
  /// The server's prepared, undecided transactions.
  caf::expected<std::vector<prepared_info>> prepared_transactions();

  /// The server's published actor, for actors that talk to it directly.
  server_api server() const;

  /// The client's own actor system.
  caf::actor_system& system();

  struct impl;

private:
  explicit client(std::unique_ptr<impl> ptr);
  std::unique_ptr<impl> impl_;
};

/// Connects to the server `opts` names, with its deadlines and threads:
/// the same as `client::connect(opts)`. Errors: `unreachable` (nothing
/// listening, or not an entact server; with TLS also a handshake that
/// failed: a server certificate not signed by the CA or not naming the
/// host, a server that refused this client's certificate or lack of one,
/// a plaintext port; the message says which), `invalid_argument` (no host,
/// port 0, a request timeout that is not positive, TLS options without a
/// CA file, a certificate without its key, an unreadable or malformed
/// file, a connect timeout that is not positive), and `unreachable` also
/// when `connect_timeout` passes without an answer. `request_timeout`
/// bounds every call once connected. One limit of CAF 0.17: the TCP
/// connect itself blocks CAF's middleman; against a host that drops
/// packets the caller still has its answer at `connect_timeout`, but
/// destroying the failed client's actor system waits until the kernel
/// gives up on that connect.
caf::expected<std::unique_ptr<client>> connect(client_options opts);

/// `connect` with `host`, `port` and every other option at its default
/// (`request_timeout` 30 s).
caf::expected<std::unique_ptr<client>> connect(const std::string& host,
                                               uint16_t port);

} // namespace entact
