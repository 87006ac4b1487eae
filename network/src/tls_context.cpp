#include "tls_context.hpp"

#include <fstream>

#include <openssl/err.h>

#include "entact/errc.hpp"

namespace entact::detail {

namespace {

caf::error refuse(std::string what) {
  return make_error(errc::invalid_argument, "TLS: " + std::move(what));
}

/// A key file that asks for a passphrase is refused instead of OpenSSL
/// prompting on the terminal of a server.
int no_passphrase(char*, int, int, void*) {
  return 0;
}

/// Checks that `file` can be opened, for a clearer message than OpenSSL's.
caf::error readable(const std::string& file, const char* what) {
  if (!std::ifstream{file})
    return refuse(std::string{"cannot read the "} + what + " file " + file);
  return caf::none;
}

caf::expected<tls_context_ptr> new_context() {
  tls_context_ptr ctx{SSL_CTX_new(TLS_method()), SSL_CTX_free};
  if (!ctx)
    return refuse("cannot create an OpenSSL context: " + take_tls_errors());
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_default_passwd_cb(ctx.get(), no_passphrase);
  return ctx;
}

/// Loads a certificate chain and its key; checks that they belong together.
caf::error use_certificate(SSL_CTX* ctx, const std::string& cert,
                           const std::string& key) {
  if (cert.empty() != key.empty())
    return refuse("a certificate needs its key and a key its certificate "
                  "(got only the "
                  + std::string{cert.empty() ? "key" : "certificate"} + ")");
  if (auto err = readable(cert, "certificate"))
    return err;
  if (auto err = readable(key, "key"))
    return err;
  if (SSL_CTX_use_certificate_chain_file(ctx, cert.c_str()) != 1)
    return refuse("no PEM certificate in " + cert + ": " + take_tls_errors());
  // OpenSSL checks here already that the key matches the certificate.
  if (SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1)
    return refuse("cannot use " + key + " as the key of " + cert
                  + " (not an unencrypted PEM key, or not this "
                    "certificate's): "
                  + take_tls_errors());
  if (SSL_CTX_check_private_key(ctx) != 1)
    return refuse("the key in " + key + " does not match the certificate in "
                  + cert + ": " + take_tls_errors());
  return caf::none;
}

caf::error trust(SSL_CTX* ctx, const std::string& ca_file) {
  if (auto err = readable(ca_file, "CA"))
    return err;
  if (SSL_CTX_load_verify_locations(ctx, ca_file.c_str(), nullptr) != 1)
    return refuse("no PEM CA certificate in " + ca_file + ": "
                  + take_tls_errors());
  return caf::none;
}

} // namespace

caf::expected<tls_context_ptr>
make_server_context(const tls_server_options& opts) {
  if (opts.certificate_file.empty() && opts.key_file.empty())
    return refuse("a server needs a certificate and its key");
  if (opts.require_client_certificate != !opts.client_ca_file.empty())
    return refuse(opts.require_client_certificate
                    ? "requiring client certificates needs the CA that "
                      "signs them"
                    : "a client CA is only used with client certificates "
                      "required (a CA alone would let clients without a "
                      "certificate in)");
  auto ctx = new_context();
  if (!ctx)
    return ctx;
  if (auto err = use_certificate(ctx->get(), opts.certificate_file,
                                 opts.key_file))
    return err;
  if (opts.require_client_certificate) {
    if (auto err = trust(ctx->get(), opts.client_ca_file))
      return err;
    // Names the accepted CAs in the certificate request.
    if (auto names = SSL_load_client_CA_file(opts.client_ca_file.c_str()))
      SSL_CTX_set_client_CA_list(ctx->get(), names);
    SSL_CTX_set_verify(ctx->get(),
                       SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                       nullptr);
  }
  return ctx;
}

caf::expected<tls_context_ptr>
make_client_context(const tls_client_options& opts) {
  if (opts.ca_file.empty())
    return refuse("a client needs the CA that signs the server's "
                  "certificate (there is no unverified TLS)");
  auto ctx = new_context();
  if (!ctx)
    return ctx;
  if (auto err = trust(ctx->get(), opts.ca_file))
    return err;
  if (!opts.certificate_file.empty() || !opts.key_file.empty())
    if (auto err = use_certificate(ctx->get(), opts.certificate_file,
                                   opts.key_file))
      return err;
  SSL_CTX_set_verify(ctx->get(), SSL_VERIFY_PEER, nullptr);
  return ctx;
}

std::string take_tls_errors() {
  std::string out;
  while (auto code = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    if (!out.empty())
      out += "; ";
    out += buf;
  }
  return out.empty() ? "no detail from OpenSSL" : out;
}

} // namespace entact::detail

namespace entact {

caf::error check_tls_options(const tls_server_options& opts) {
  auto ctx = detail::make_server_context(opts);
  return ctx ? caf::none : std::move(ctx.error());
}

caf::error check_tls_options(const tls_client_options& opts) {
  auto ctx = detail::make_client_context(opts);
  return ctx ? caf::none : std::move(ctx.error());
}

} // namespace entact
