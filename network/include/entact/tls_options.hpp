#pragma once

#include <string>

#include <caf/error.hpp>

namespace entact {

/// TLS on the server side of `entact::serve` (all files PEM). Empty
/// `certificate_file` and `key_file`: plaintext. The frame guard
/// terminates TLS itself (OpenSSL) and checks every BASP frame on the
/// decrypted stream, so nothing unchecked reaches CAF.
struct tls_server_options {
  /// The server's certificate chain (leaf first).
  std::string certificate_file;
  /// The private key of that certificate (unencrypted).
  std::string key_file;
  /// CA certificates that sign the clients' certificates (mutual TLS).
  std::string client_ca_file;
  /// Refuse a peer that presents no certificate signed by `client_ca_file`.
  bool require_client_certificate = false;

  /// True if any TLS option is set.
  bool enabled() const {
    return !certificate_file.empty() || !key_file.empty()
           || !client_ca_file.empty() || require_client_certificate;
  }
};

/// TLS on the client side (`client_options::tls`, all files PEM). Empty
/// everything: plaintext. Any TLS option without `ca_file` is refused:
/// the client always verifies the server's certificate, there is no
/// unauthenticated TLS mode.
struct tls_client_options {
  /// CA certificates that sign the server's certificate.
  std::string ca_file;
  /// The name or IP address the server's certificate must carry (its
  /// subjectAltName). Empty: `client_options::host`.
  std::string server_name;
  /// The client's own certificate chain, for servers that require one.
  std::string certificate_file;
  /// The private key of that certificate (unencrypted).
  std::string key_file;

  /// True if any TLS option is set.
  bool enabled() const {
    return !ca_file.empty() || !server_name.empty()
           || !certificate_file.empty() || !key_file.empty();
  }
};

/// Checks server TLS options as `serve` will: both files readable and
/// PEM, the key matching the certificate, a client CA exactly when client
/// certificates are required. Errors: `invalid_argument` with the reason.
caf::error check_tls_options(const tls_server_options& opts);

/// Checks client TLS options as `connect` will: a CA file, a certificate
/// only with its key, every file readable and PEM. Errors:
/// `invalid_argument` with the reason.
caf::error check_tls_options(const tls_client_options& opts);

} // namespace entact
