#pragma once

// The client's side of TLS: CAF 0.17's libcaf_openssl verifies neither the
// server's name nor (without a client certificate) the server at all, so
// the client terminates TLS itself, with the same `tls_session` as the
// guard. A middleman actor of its own connects CAF's BASP broker to one
// end of a socket pair; a relay broker holds the other end and the TCP
// connection to the server, and encrypts and decrypts between them.

#include <memory>
#include <mutex>
#include <set>
#include <string>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include "entact/tls_options.hpp"
#include "tls_context.hpp"

namespace entact::detail {

/// The first TLS failure of a dial, for the error message of a failed
/// connect (the relay runs in CAF's I/O thread, the caller elsewhere).
class tls_failure {
public:
  void set(const std::string& why);
  std::string get() const;

private:
  mutable std::mutex mtx_;
  std::string why_;
};

/// Dials servers over TLS for one client (one actor system).
class tls_dialer {
public:
  /// Checks `opts` (see `make_client_context`). Errors: `invalid_argument`.
  static caf::expected<std::unique_ptr<tls_dialer>>
  make(caf::actor_system& sys, const tls_client_options& opts);

  tls_dialer(const tls_dialer&) = delete;
  tls_dialer& operator=(const tls_dialer&) = delete;

  /// Stops the dialer's actors.
  ~tls_dialer();

  /// `remote_actor` over TLS: the server's certificate must be signed by
  /// the CA and name `server_name` (empty: `host`). Gives up after
  /// `timeout`. Errors: CAF's (`failure` tells what TLS saw).
  caf::expected<caf::strong_actor_ptr>
  remote_actor(const std::set<std::string>& ifs, const std::string& host,
               uint16_t port, caf::timespan timeout);

  /// Why TLS failed (empty if it did not).
  std::string failure() const;

private:
  tls_dialer(caf::actor_system& sys, caf::actor mm,
             std::shared_ptr<tls_failure> failure);

  caf::actor_system& sys_;
  caf::actor mm_;
  std::shared_ptr<tls_failure> failure_;
};

} // namespace entact::detail
