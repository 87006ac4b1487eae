#pragma once

// A TLS connection to 127.0.0.1:port made with OpenSSL directly (blocking,
// 1 s timeouts), for tests that send BASP frames of their own through the
// guard's TLS: the same bytes as raw_conn, encrypted.

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

namespace entact::test {

class tls_raw_conn {
public:
  /// Connects and completes the handshake, verifying the server against
  /// `ca_file` and 127.0.0.1; `established()` tells whether it worked.
  tls_raw_conn(uint16_t port, const std::string& ca_file)
    : ctx_(SSL_CTX_new(TLS_client_method()), SSL_CTX_free) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0 || !ctx_)
      throw std::runtime_error("socket or SSL_CTX_new failed");
    timeval tv{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0)
      return;
    SSL_CTX_load_verify_locations(ctx_.get(), ca_file.c_str(), nullptr);
    SSL_CTX_set_verify(ctx_.get(), SSL_VERIFY_PEER, nullptr);
    ssl_ = SSL_new(ctx_.get());
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), "127.0.0.1");
    SSL_set_fd(ssl_, fd_);
    established_ = SSL_connect(ssl_) == 1;
  }

  ~tls_raw_conn() {
    if (ssl_)
      SSL_free(ssl_);
    if (fd_ >= 0)
      ::close(fd_);
  }

  tls_raw_conn(const tls_raw_conn&) = delete;
  tls_raw_conn& operator=(const tls_raw_conn&) = delete;

  bool established() const {
    return established_;
  }

  /// Sends all of `bytes`; false once the server hung up.
  bool send(const std::vector<uint8_t>& bytes) {
    size_t done = 0;
    while (done < bytes.size()) {
      auto n = SSL_write(ssl_, bytes.data() + done,
                         static_cast<int>(bytes.size() - done));
      if (n <= 0)
        return false;
      done += static_cast<size_t>(n);
    }
    return true;
  }

  /// Reads exactly `n` bytes (false on close, error or 1 s without data).
  bool recv_exact(std::vector<uint8_t>& out, size_t n) {
    out.resize(n);
    size_t done = 0;
    while (done < n) {
      auto r = SSL_read(ssl_, out.data() + done, static_cast<int>(n - done));
      if (r <= 0)
        return false;
      done += static_cast<size_t>(r);
    }
    return true;
  }

  /// Reads and discards whatever arrives for at most `limit`; true if the
  /// server closed the connection (or failed TLS) meanwhile.
  bool drain_until_closed(std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    std::array<uint8_t, 4096> buf;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (SSL_pending(ssl_) == 0 && ::poll(&p, 1, 50) <= 0)
        continue;
      auto r = SSL_read(ssl_, buf.data(), static_cast<int>(buf.size()));
      if (r > 0)
        continue;
      // A receive timeout (part of a record arrived) is no close.
      auto code = SSL_get_error(ssl_, r);
      if (code == SSL_ERROR_WANT_READ
          || (code == SSL_ERROR_SYSCALL
              && (errno == EAGAIN || errno == EWOULDBLOCK)))
        continue;
      return true;
    }
    return false;
  }

private:
  std::unique_ptr<SSL_CTX, void (*)(SSL_CTX*)> ctx_;
  SSL* ssl_ = nullptr;
  int fd_ = -1;
  bool established_ = false;
};

} // namespace entact::test
