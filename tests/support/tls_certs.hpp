#pragma once

// Throwaway certificates, made at test time with the `openssl` CLI in a
// temporary directory: a CA, a server certificate for 127.0.0.1 and
// localhost signed by it, a client certificate signed by it, and a second,
// unrelated CA with its own server and client certificates (the "wrong"
// ones).

#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/run_command.hpp"
#include "support/temp_dir.hpp"

namespace entact::test {

class tls_certs {
public:
  tls_certs() {
    make_ca("ca");
    make_ca("other-ca");
    make_leaf("server", "ca", "subjectAltName=IP:127.0.0.1,DNS:localhost");
    make_leaf("client", "ca", "subjectAltName=DNS:client.test");
    make_leaf("other-server", "other-ca",
              "subjectAltName=IP:127.0.0.1,DNS:localhost");
    make_leaf("other-client", "other-ca", "subjectAltName=DNS:client.test");
    make_leaf("wrong-name", "ca", "subjectAltName=DNS:elsewhere.test");
  }

  /// `NAME.pem` (certificate) and `NAME.key` (key) of ca, other-ca,
  /// server, client, other-server, other-client and wrong-name.
  std::string cert(const std::string& name) const {
    return dir_.sub(name + ".pem");
  }

  std::string key(const std::string& name) const {
    return dir_.sub(name + ".key");
  }

  /// A path in the same directory, for files a test writes itself.
  std::string path(const std::string& name) const {
    return dir_.sub(name);
  }

private:
  static void run(std::vector<std::string> argv) {
    auto res = run_command(std::move(argv));
    if (res.exit_code != 0)
      throw std::runtime_error("openssl failed: " + res.err);
  }

  void make_ca(const std::string& name) {
    run({"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
         "/CN=entact test " + name, "-keyout", key(name), "-out",
         cert(name)});
  }

  void make_leaf(const std::string& name, const std::string& ca,
                 const std::string& san) {
    auto csr = dir_.sub(name + ".csr");
    auto ext = dir_.sub(name + ".ext");
    run({"/usr/bin/openssl", "req", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=" + name,
         "-keyout", key(name), "-out", csr});
    std::ofstream{ext} << san << '\n';
    run({"/usr/bin/openssl", "x509", "-req", "-in", csr, "-CA", cert(ca),
         "-CAkey", key(ca), "-CAcreateserial", "-days", "2", "-extfile", ext,
         "-out", cert(name)});
  }

  temp_dir dir_;
};

} // namespace entact::test
