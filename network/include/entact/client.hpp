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

namespace entact {

/// Where and how a client reaches an `entactd` server.
struct client_options {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  /// Deadline of each call; past it a call fails with `timeout` (for a
  /// write: outcome unknown).
  std::chrono::milliseconds request_timeout = std::chrono::seconds{30};
  /// Actor system threads of the client (at least 2 are used).
  size_t worker_threads = 2;
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
  /// Connects to the server. Errors: `unreachable` (nothing listening, or
  /// not an entact server), `invalid_argument` (bad options).
  static caf::expected<std::unique_ptr<client>> connect(client_options opts);

  /// Closes the client (see `close`).
  ~client() override;

  /// Refuses new calls, waits for those in flight and disconnects.
  void close();

  caf::expected<record> get(const entity_id& id) override;
  caf::expected<record> read(const entity_id& id) override;
  caf::expected<std::vector<record>>
  read_many(const std::vector<entity_id>& ids) override;
  caf::expected<std::vector<record>>
  transact(const std::vector<entity_id>& ids, const txn_body& body,
           const txn_options& opts = {},
           const retry_policy& retry = {}) override;
  caf::expected<record> apply(write_op op) override;
  caf::expected<std::vector<record>>
  apply_batch(std::vector<write_op> ops) override;
  void apply_async(write_op op, record_callback done) override;

  /// The server's counters.
  caf::expected<engine_stats> stats();

  /// The server's published actor, for actors that talk to it directly.
  server_api server() const;

  /// The client's own actor system.
  caf::actor_system& system();

  struct impl;

private:
  explicit client(std::unique_ptr<impl> ptr);
  std::unique_ptr<impl> impl_;
};

/// Shorthand for `client::connect` with default options.
caf::expected<std::unique_ptr<client>> connect(const std::string& host,
                                               uint16_t port);

} // namespace entact
