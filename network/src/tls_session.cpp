#include "tls_session.hpp"

#include <algorithm>
#include <climits>

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "entact/errc.hpp"
#include "tls_context.hpp"

namespace entact::detail {

namespace {

bool is_ip_address(const std::string& name) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, name.c_str(), buf) == 1
         || inet_pton(AF_INET6, name.c_str(), buf) == 1;
}

/// The largest piece handed to OpenSSL at once (its calls take an int).
constexpr size_t max_piece = 1 << 30;

} // namespace

caf::expected<std::unique_ptr<tls_session>> tls_session::accept(SSL_CTX* ctx) {
  auto ssl = SSL_new(ctx);
  if (!ssl)
    return make_error(errc::invalid_argument,
                      "TLS: cannot create a session: " + take_tls_errors());
  std::unique_ptr<tls_session> session{new tls_session(ssl)};
  SSL_set_accept_state(ssl);
  return session;
}

caf::expected<std::unique_ptr<tls_session>>
tls_session::connect(SSL_CTX* ctx, const std::string& server_name) {
  if (server_name.empty())
    return make_error(errc::invalid_argument,
                      "TLS: the server's name to verify is empty");
  auto ssl = SSL_new(ctx);
  if (!ssl)
    return make_error(errc::invalid_argument,
                      "TLS: cannot create a session: " + take_tls_errors());
  std::unique_ptr<tls_session> session{new tls_session(ssl)};
  // The certificate must name the address dialled (or the name given):
  // a certificate of another host signed by the same CA is refused.
  auto ok = is_ip_address(server_name)
              ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl),
                                              server_name.c_str())
              : SSL_set1_host(ssl, server_name.c_str())
                  && SSL_set_tlsext_host_name(ssl, server_name.c_str());
  if (ok != 1)
    return make_error(errc::invalid_argument,
                      "TLS: cannot verify against the name " + server_name
                        + ": " + take_tls_errors());
  SSL_set_connect_state(ssl);
  if (!session->handshake()) // writes the ClientHello, for take_output
    return make_error(errc::invalid_argument, session->error());
  return session;
}

tls_session::tls_session(SSL* ssl)
  : ssl_(ssl), in_(BIO_new(BIO_s_mem())), out_(BIO_new(BIO_s_mem())) {
  SSL_set_bio(ssl_, in_, out_);
}

tls_session::~tls_session() {
  SSL_free(ssl_); // frees both BIOs
}

bool tls_session::receive(const char* data, size_t n,
                          std::vector<char>& plain) {
  if (!error_.empty())
    return false;
  while (n > 0) {
    auto piece = std::min(n, max_piece);
    if (BIO_write(in_, data, static_cast<int>(piece)) <= 0) {
      error_ = "TLS: cannot buffer received bytes";
      return false;
    }
    data += piece;
    n -= piece;
  }
  if (!SSL_is_init_finished(ssl_) && !handshake())
    return false;
  char buf[16 * 1024];
  for (;;) {
    ERR_clear_error();
    auto ret = SSL_read(ssl_, buf, sizeof(buf));
    if (ret > 0) {
      plain.insert(plain.end(), buf, buf + ret);
      continue;
    }
    auto code = SSL_get_error(ssl_, ret);
    // WANT_READ: a record is incomplete. ZERO_RETURN: the peer said
    // close_notify, its TCP close follows.
    if (code == SSL_ERROR_WANT_READ || code == SSL_ERROR_ZERO_RETURN)
      return true;
    return fail(ret);
  }
}

bool tls_session::send(const char* data, size_t n) {
  if (!error_.empty())
    return false;
  if (!SSL_is_init_finished(ssl_)) {
    if (early_.size() + n > max_early_bytes) {
      error_ = "TLS: more than " + std::to_string(max_early_bytes)
               + " bytes to send before the handshake is done";
      return false;
    }
    early_.insert(early_.end(), data, data + n);
    return true;
  }
  return write_all(data, n);
}

void tls_session::take_output(std::vector<char>& out) {
  auto pending = BIO_pending(out_);
  if (pending <= 0)
    return;
  auto old = out.size();
  out.resize(old + static_cast<size_t>(pending));
  auto got = BIO_read(out_, out.data() + old, pending);
  out.resize(old + static_cast<size_t>(std::max(got, 0)));
}

bool tls_session::has_output() const {
  return BIO_pending(out_) > 0;
}

bool tls_session::established() const {
  return SSL_is_init_finished(ssl_) && error_.empty();
}

const std::string& tls_session::error() const {
  return error_;
}

bool tls_session::handshake() {
  ERR_clear_error();
  auto ret = SSL_do_handshake(ssl_);
  if (ret != 1) {
    if (SSL_get_error(ssl_, ret) == SSL_ERROR_WANT_READ)
      return true;
    return fail(ret);
  }
  std::vector<char> early;
  early.swap(early_);
  return write_all(early.data(), early.size());
}

bool tls_session::write_all(const char* data, size_t n) {
  while (n > 0) {
    ERR_clear_error();
    auto ret = SSL_write(ssl_, data, static_cast<int>(std::min(n, max_piece)));
    if (ret <= 0)
      return fail(ret);
    data += ret;
    n -= static_cast<size_t>(ret);
  }
  return true;
}

bool tls_session::fail(int ret) {
  auto code = SSL_get_error(ssl_, ret);
  error_ = "TLS: ";
  auto verdict = SSL_get_verify_result(ssl_);
  if (verdict != X509_V_OK)
    error_ += std::string{"certificate verify failed ("}
              + X509_verify_cert_error_string(verdict) + "): ";
  if (code == SSL_ERROR_SSL)
    error_ += take_tls_errors();
  else
    error_ += "OpenSSL error " + std::to_string(code);
  return false;
}

} // namespace entact::detail
