#pragma once

// One TLS session over memory BIOs: the caller moves the bytes (a broker's
// connection), OpenSSL only encrypts, decrypts and verifies. The frame
// guard gives each peer connection a server session and checks the
// plaintext it yields; the client's relay gives its connection a client
// session.

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <openssl/ssl.h>

#include <caf/expected.hpp>

namespace entact::detail {

class tls_session {
public:
  /// Most plaintext `send` holds back until the handshake is done (BASP
  /// sends only its handshake, a few hundred bytes, before an answer).
  static constexpr size_t max_early_bytes = 1024 * 1024;

  /// A session that accepts a handshake (a server).
  static caf::expected<std::unique_ptr<tls_session>> accept(SSL_CTX* ctx);

  /// A session that starts a handshake and accepts only a certificate for
  /// `server_name` (a DNS name or an IP address). Errors:
  /// `invalid_argument`.
  static caf::expected<std::unique_ptr<tls_session>>
  connect(SSL_CTX* ctx, const std::string& server_name);

  ~tls_session();

  tls_session(const tls_session&) = delete;
  tls_session& operator=(const tls_session&) = delete;

  /// Feeds `n` bytes received from the peer and appends the plaintext they
  /// complete to `plain`. Returns false once the session has failed
  /// (`error` says why; `take_output` may still hold an alert for the
  /// peer).
  bool receive(const char* data, size_t n, std::vector<char>& plain);

  /// Encrypts `n` bytes for the peer; before the handshake is done they
  /// are held back (at most `max_early_bytes`). Returns false once the
  /// session has failed.
  bool send(const char* data, size_t n);

  /// Appends the bytes waiting to go to the peer to `out`.
  void take_output(std::vector<char>& out);

  /// True when there are bytes for `take_output`.
  bool has_output() const;

  /// True once the handshake is done (and the peer verified).
  bool established() const;

  /// Why the session failed (empty while it has not).
  const std::string& error() const;

private:
  explicit tls_session(SSL* ssl);

  bool handshake();
  bool write_all(const char* data, size_t n);
  bool fail(int ret);

  SSL* ssl_;
  BIO* in_;  // what the peer sent (owned by ssl_)
  BIO* out_; // what goes to the peer (owned by ssl_)
  std::vector<char> early_;
  std::string error_;
};

} // namespace entact::detail
