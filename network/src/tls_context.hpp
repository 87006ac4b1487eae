#pragma once

// OpenSSL contexts built from entact's TLS options, checked before anything
// listens or connects: a certificate without its key, an unreadable or
// malformed file, a key that does not match its certificate, or a client
// without a CA to verify the server by is refused with the reason.

#include <memory>
#include <string>

#include <openssl/ssl.h>

#include <caf/expected.hpp>

#include "entact/tls_options.hpp"

namespace entact::detail {

using tls_context_ptr = std::shared_ptr<SSL_CTX>;

/// A server context (TLS 1.2 or later): the certificate and key, and with
/// `require_client_certificate` a peer without a certificate signed by
/// `client_ca_file` fails the handshake. Errors: `invalid_argument`.
caf::expected<tls_context_ptr>
make_server_context(const tls_server_options& opts);

/// A client context (TLS 1.2 or later) that verifies the server's
/// certificate against `ca_file` and presents the client's certificate if
/// one is given. Errors: `invalid_argument`.
caf::expected<tls_context_ptr>
make_client_context(const tls_client_options& opts);

/// OpenSSL's queued errors of this thread as one line (and clears them).
std::string take_tls_errors();

} // namespace entact::detail
