// TLS in front of BASP (entactd's --tls-*, `serve_options::tls`,
// `client_options::tls`, the CLI's --tls-*): round trips through TLS with
// client certificates, a client that refuses a server its CA did not sign
// or that carries another name, a server that refuses clients without a
// valid certificate and plaintext peers and goes on serving, the frame
// guard's checks on the decrypted stream, and the loud refusal of options
// that would do nothing or do not fit together. Real entactd processes and
// throwaway certificates made with the openssl CLI.

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <vector>

#include <caf/io/middleman.hpp>

#include "entact/client.hpp"
#include "entact/engine.hpp"
#include "entact/serve.hpp"
#include "support/basp_frames.hpp"
#include "support/print.hpp"
#include "support/raw_conn.hpp"
#include "support/run_command.hpp"
#include "support/server_process.hpp"
#include "support/temp_dir.hpp"
#include "support/tls_certs.hpp"
#include "support/tls_raw_conn.hpp"
#include "support/wait_until.hpp"

using namespace entact;
using namespace entact::test;
using namespace std::chrono_literals;

namespace {

/// One set of certificates for the whole program (making them takes a
/// dozen openssl runs).
const tls_certs& certs() {
  static tls_certs instance;
  return instance;
}

/// entactd's options for TLS with the certificate `server` (signed by
/// "ca", or "other-server" by "other-ca"), requiring client certificates
/// signed by "ca" if `mutual`.
std::vector<std::string> tls_server_args(const std::string& server = "server",
                                         bool mutual = true) {
  std::vector<std::string> args{"--tls-cert=" + certs().cert(server),
                                "--tls-key=" + certs().key(server)};
  if (mutual) {
    args.push_back("--tls-client-ca=" + certs().cert("ca"));
    args.push_back("--tls-require-client-cert");
  }
  return args;
}

/// A TLS client of 127.0.0.1:`port` trusting "ca", presenting the
/// certificate `client` (none if empty).
client_options tls_client(uint16_t port, const std::string& client = "client") {
  client_options opts{"127.0.0.1", port, 10s};
  opts.tls.ca_file = certs().cert("ca");
  if (!client.empty()) {
    opts.tls.certificate_file = certs().cert(client);
    opts.tls.key_file = certs().key(client);
  }
  return opts;
}

std::unique_ptr<client> connect_tls_or_throw(uint16_t port) {
  auto db = connect(tls_client(port));
  if (!db)
    throw std::runtime_error("TLS connect failed: " + to_string(db.error()));
  return std::move(*db);
}

/// The detail of an error, to check what it names.
template <class T>
std::string message_of(const caf::expected<T>& x) {
  return x ? std::string{} : to_string(x.error());
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// Runs the CLI against `port` with the TLS options `tls` and `args`.
command_result cli(uint16_t port, std::vector<std::string> tls,
                   std::vector<std::string> args) {
  std::vector<std::string> argv{ENTACT_CLI_PATH,
                                "--port=" + std::to_string(port),
                                "--timeout-ms=10000"};
  argv.insert(argv.end(), tls.begin(), tls.end());
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv);
}

std::vector<std::string> cli_tls(const std::string& client = "client") {
  return {"--tls-ca=" + certs().cert("ca"),
          "--tls-cert=" + certs().cert(client),
          "--tls-key=" + certs().key(client)};
}

/// Runs entactd with `args` on a fresh data directory that it is expected
/// to refuse before opening.
command_result entactd_refusing(const temp_dir& dir,
                                std::vector<std::string> args) {
  std::vector<std::string> argv{ENTACT_ENTACTD_PATH,
                                "--data-dir=" + dir.sub("data"), "--port=0"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, 30s);
}

/// Checks that the server on `port` still serves a TLS client and that
/// "kept" is still at version 1 with value "1".
void still_serving(uint16_t port) {
  auto db = connect_tls_or_throw(port);
  auto kept = db->get("kept");
  BOOST_REQUIRE(kept);
  BOOST_TEST(kept->version == 1u);
  BOOST_TEST(kept->value == "1");
}

} // namespace

BOOST_AUTO_TEST_SUITE(entactd_tls)

BOOST_AUTO_TEST_CASE(create_update_and_conflict_over_mutual_tls) {
  server_process server{tls_server_args()};
  auto db = connect_tls_or_throw(server.port());
  auto v1 = db->create("product/1", "Gadget");
  BOOST_REQUIRE(v1);
  BOOST_TEST(v1->version == 1u);
  BOOST_REQUIRE(db->update("product/1", 1, "Super Gadget"));
  auto stale = db->update("product/1", 1, "Amazing Gadget");
  BOOST_REQUIRE(!stale);
  auto c = conflict_of(stale.error());
  BOOST_REQUIRE(c);
  BOOST_TEST(c->stored.version == 2u);
  BOOST_TEST(c->stored.value == "Super Gadget");
  BOOST_TEST(c->attempted_value == "Amazing Gadget");
  auto txn = db->transact({"product/1", "product/2"}, [](transaction& t) {
    if (auto err = t.put("product/1", "A"))
      return err;
    return t.put("product/2", "B");
  });
  BOOST_REQUIRE(txn);
  BOOST_TEST(txn->size() == 2u);
  // A value larger than one TLS record (16 KiB) and than one read chunk.
  std::string big(200 * 1024, 'x');
  BOOST_REQUIRE(db->create("big", big));
  BOOST_TEST(db->get("big")->value == big);
  auto other = connect_tls_or_throw(server.port());
  BOOST_TEST(other->get("product/2")->value == "B");
  db.reset();
  other.reset();
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_CASE(a_lost_tls_connection_is_an_error_not_a_hang) {
  server_process server{tls_server_args()};
  auto db = connect_tls_or_throw(server.port());
  BOOST_REQUIRE(db->create("x", "1"));
  server.crash();
  // The relay sees the server's connection end and closes CAF's side: the
  // calls fail with `unreachable` (the deadline would give `timeout`).
  errc last = errc::none;
  BOOST_TEST(wait_until(
    [&] {
      last = code(db->get("x"));
      return last != errc::none;
    },
    10s));
  BOOST_TEST(last == errc::unreachable);
  BOOST_TEST(code(db->update("x", 1, "2")) == errc::unreachable);
}

BOOST_AUTO_TEST_CASE(the_cli_over_mutual_tls) {
  server_process server{tls_server_args()};
  auto port = server.port();
  auto created = cli(port, cli_tls(), {"put", "acct/1", "100", "--if-absent"});
  BOOST_TEST(created.exit_code == 0, created.err);
  BOOST_TEST(created.out == "acct/1  v1  100\n");
  auto updated = cli(port, cli_tls(), {"put", "acct/1", "70", "--if-version=1"});
  BOOST_TEST(updated.exit_code == 0, updated.err);
  BOOST_TEST(updated.out == "acct/1  v2  70\n");
  auto stale = cli(port, cli_tls(), {"put", "acct/1", "50", "--if-version=1"});
  BOOST_TEST(stale.exit_code == 1, stale.err);
  BOOST_TEST(contains(stale.err, "conflict on acct/1"), stale.err);
  auto read = cli(port, cli_tls(), {"--json", "get", "acct/1"});
  BOOST_TEST(read.exit_code == 0, read.err);
  BOOST_TEST(read.out
             == "{\"id\":\"acct/1\",\"version\":2,\"value\":\"70\","
                "\"deleted\":false}\n");
  // Without TLS, or without a client certificate: unreachable (3), and the
  // message says why.
  auto plain = cli(port, {}, {"get", "acct/1"});
  BOOST_TEST(plain.exit_code == 3, plain.err);
  auto no_cert = cli(port, {"--tls-ca=" + certs().cert("ca")},
                     {"get", "acct/1"});
  BOOST_TEST(no_cert.exit_code == 3, no_cert.err);
  BOOST_TEST(contains(no_cert.err, "TLS"), no_cert.err);
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_CASE(the_client_refuses_a_server_its_ca_did_not_sign) {
  server_process server{tls_server_args("other-server", false)};
  auto db = connect(tls_client(server.port()));
  BOOST_REQUIRE(!db);
  BOOST_TEST(code(db) == errc::unreachable);
  BOOST_TEST(contains(message_of(db), "certificate verify failed"),
             message_of(db));
  auto res = cli(server.port(), cli_tls(), {"get", "x"});
  BOOST_TEST(res.exit_code == 3, res.err);
  BOOST_TEST(contains(res.err, "certificate verify failed"), res.err);
  BOOST_TEST(server.running());
}

BOOST_AUTO_TEST_CASE(the_client_refuses_a_certificate_for_another_name) {
  server_process server{tls_server_args("wrong-name", false)};
  auto db = connect(tls_client(server.port()));
  BOOST_REQUIRE(!db);
  BOOST_TEST(code(db) == errc::unreachable);
  // Dialled by IP address, and the certificate names only elsewhere.test.
  BOOST_TEST(contains(message_of(db), "IP address mismatch"), message_of(db));
  auto by_name = tls_client(server.port());
  by_name.tls.server_name = "localhost";
  auto refused = connect(by_name);
  BOOST_TEST(code(refused) == errc::unreachable);
  BOOST_TEST(contains(message_of(refused), "hostname mismatch"),
             message_of(refused));
  // The same certificate is fine for the name it carries: the name check
  // was the only objection.
  auto named = tls_client(server.port());
  named.tls.server_name = "elsewhere.test";
  auto ok = connect(named);
  BOOST_REQUIRE_MESSAGE(ok, message_of(ok));
  BOOST_TEST(code((*ok)->create("a", "1")) == errc::none);
}

BOOST_AUTO_TEST_CASE(the_server_refuses_clients_without_a_valid_certificate) {
  server_process server{tls_server_args()};
  auto port = server.port();
  connect_tls_or_throw(port)->create("kept", "1");
  for (auto* client : {"", "other-client"}) {
    auto db = connect(tls_client(port, client));
    BOOST_REQUIRE_MESSAGE(!db, "client certificate '" << client << "'");
    BOOST_TEST(code(db) == errc::unreachable);
    BOOST_TEST(contains(message_of(db), "TLS"), message_of(db));
  }
  // A raw TLS connection without a certificate never gets a BASP byte.
  tls_raw_conn raw{port, certs().cert("ca")};
  std::vector<uint8_t> hdr;
  BOOST_TEST(!raw.recv_exact(hdr, basp_header_size));
  BOOST_TEST(server.running());
  still_serving(port);
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_CASE(a_plaintext_peer_on_a_tls_port_is_disconnected) {
  server_process server{tls_server_args("server", false)};
  auto port = server.port();
  connect_tls_or_throw(port)->create("kept", "1");
  auto plain = connect({"127.0.0.1", port, 10s});
  BOOST_TEST(code(plain) == errc::unreachable);
  // A raw BASP client handshake, and a header declaring 4 GiB: neither
  // reaches BASP, both are cut off.
  for (auto bytes : {client_handshake(fake_node(7)),
                     basp_header(basp_client_handshake, 0xffffffffu,
                                 basp_version)}) {
    raw_conn raw{port};
    BOOST_REQUIRE(raw.connected());
    raw.send(bytes);
    BOOST_TEST(raw.drain_until_closed(3s));
  }
  BOOST_TEST(server.running());
  still_serving(port);
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_CASE(a_tls_client_on_a_plaintext_port_fails_clearly) {
  server_process server;
  auto db = connect(tls_client(server.port()));
  BOOST_REQUIRE(!db);
  BOOST_TEST(code(db) == errc::unreachable);
  BOOST_TEST(contains(message_of(db), "TLS"), message_of(db));
  BOOST_TEST(server.running());
}

BOOST_AUTO_TEST_CASE(the_guard_checks_the_frames_inside_tls) {
  auto args = tls_server_args("server", false);
  args.push_back("--max-frame-bytes=65536");
  server_process server{args};
  auto port = server.port();
  connect_tls_or_throw(port)->create("kept", "1");
  // Through TLS the server's handshake arrives as on a plaintext port...
  tls_raw_conn at_limit{port, certs().cert("ca")};
  BOOST_REQUIRE(at_limit.established());
  auto hello = read_server_handshake(at_limit);
  BOOST_REQUIRE(hello.node);
  // ...a message to the front door declaring exactly the limit waits for
  // its payload...
  BOOST_REQUIRE(at_limit.send(concat(
    client_handshake(fake_node(11)),
    basp_header(basp_direct_message, 65536, 0, 0, hello.door))));
  std::vector<uint8_t> hdr;
  std::vector<uint8_t> payload;
  // ...and one declaring more is cut off.
  tls_raw_conn over{port, certs().cert("ca")};
  BOOST_REQUIRE(over.established());
  BOOST_REQUIRE(over.recv_exact(hdr, basp_header_size));
  BOOST_REQUIRE(over.recv_exact(payload, get_be32(hdr, 4)));
  BOOST_REQUIRE(
    over.send(basp_header(basp_client_handshake, 65537, basp_version)));
  BOOST_TEST(over.drain_until_closed(3s));
  BOOST_TEST(!at_limit.drain_until_closed(300ms));
  BOOST_TEST(server.running());
  still_serving(port);
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_CASE(options_that_would_do_nothing_are_refused) {
  temp_dir dir;
  for (auto* opt : {"--openssl.cafile=/etc/ssl/certs/ca-certificates.crt",
                    "--openssl.certificate=server.pem", "--openssl.key=k",
                    "--openssl.passphrase=p", "--openssl.capath=/etc/ssl"}) {
    auto res = entactd_refusing(dir, {opt});
    BOOST_TEST(res.exit_code == 64, opt << ": " << res.err);
    BOOST_TEST(contains(res.err, "would do nothing"), res.err);
    BOOST_TEST(contains(res.err, "--tls-cert"), res.err);
  }
  // The same in a config file.
  auto ini = dir.sub("entactd.ini");
  std::ofstream{ini} << "[openssl]\ncafile=\"/etc/ssl/certs/x.pem\"\n";
  auto from_file = entactd_refusing(dir, {"--config-file=" + ini});
  BOOST_TEST(from_file.exit_code == 64, from_file.err);
  BOOST_TEST(contains(from_file.err, "--openssl.cafile"), from_file.err);
  // Nothing was opened or created.
  BOOST_TEST(!std::filesystem::exists(dir.sub("data")));
  // The CLI alike (refused before it connects anywhere).
  auto res = cli(1, {"--openssl.cafile=ca.pem"}, {"get", "x"});
  BOOST_TEST(res.exit_code == 64, res.err);
  BOOST_TEST(contains(res.err, "--tls-ca"), res.err);
}

BOOST_AUTO_TEST_CASE(inconsistent_tls_options_are_refused) {
  temp_dir dir;
  auto cert = certs().cert("server");
  auto key = certs().key("server");
  auto ca = certs().cert("ca");
  std::vector<std::pair<std::vector<std::string>, std::string>> bad{
    {{"--tls-cert=" + cert}, "needs its key"},
    {{"--tls-key=" + key}, "needs its key"},
    {{"--tls-cert=" + cert, "--tls-key=" + certs().key("client")},
     "as the key of"},
    {{"--tls-cert=" + dir.sub("missing.pem"), "--tls-key=" + key},
     "cannot read"},
    {{"--tls-cert=" + key, "--tls-key=" + key}, "no PEM certificate"},
    {{"--tls-cert=" + cert, "--tls-key=" + key, "--tls-require-client-cert"},
     "needs the CA"},
    {{"--tls-cert=" + cert, "--tls-key=" + key, "--tls-client-ca=" + ca},
     "client certificates required"},
    {{"--tls-client-ca=" + ca, "--tls-require-client-cert"},
     "needs a certificate and its key"},
  };
  for (auto& [args, why] : bad) {
    auto res = entactd_refusing(dir, args);
    BOOST_TEST(res.exit_code == 64, args.front() << ": " << res.err);
    BOOST_TEST(contains(res.err, why), res.err);
  }
  BOOST_TEST(!std::filesystem::exists(dir.sub("data")));
  // The client: TLS without a CA is refused, never unverified.
  client_options no_ca{"127.0.0.1", 1, 1s};
  no_ca.tls.certificate_file = certs().cert("client");
  no_ca.tls.key_file = certs().key("client");
  auto db = connect(no_ca);
  BOOST_TEST(code(db) == errc::invalid_argument);
  BOOST_TEST(contains(message_of(db), "needs the CA"), message_of(db));
  auto half = tls_client(1, "");
  half.tls.certificate_file = certs().cert("client");
  BOOST_TEST(code(connect(half)) == errc::invalid_argument);
  auto res = cli(1, {"--tls-ca=" + ca, "--tls-cert=" + certs().cert("client")},
                 {"get", "x"});
  BOOST_TEST(res.exit_code == 64, res.err);
  BOOST_TEST(contains(res.err, "needs its key"), res.err);
  auto missing = cli(1, {"--tls-ca=" + dir.sub("nope.pem")}, {"get", "x"});
  BOOST_TEST(missing.exit_code == 64, missing.err);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(serve_api_tls)

BOOST_AUTO_TEST_CASE(serve_logs_each_peer_that_fails_tls) {
  temp_dir dir;
  auto cfg = std::make_unique<entact::config>();
  cfg->load<caf::io::middleman>();
  engine_options eo;
  eo.path = dir.sub("db");
  eo.sync = false;
  auto eng = engine::open(eo, std::move(cfg));
  BOOST_REQUIRE(eng);
  std::mutex mtx;
  std::vector<std::string> lines;
  serve_options so;
  so.tls.certificate_file = certs().cert("server");
  so.tls.key_file = certs().key("server");
  so.tls.client_ca_file = certs().cert("ca");
  so.tls.require_client_certificate = true;
  so.log = [&](const std::string& line) {
    std::lock_guard<std::mutex> guard{mtx};
    lines.push_back(line);
  };
  auto srv = serve(**eng, so);
  BOOST_REQUIRE(srv);
  auto port = (*srv)->port();
  {
    raw_conn raw{port};
    raw.send(client_handshake(fake_node(9)));
    BOOST_TEST(raw.drain_until_closed(3s));
  }
  BOOST_TEST(code(connect(tls_client(port, ""))) == errc::unreachable);
  auto logged_two = [&] {
    std::lock_guard<std::mutex> guard{mtx};
    return lines.size() >= 2;
  };
  BOOST_REQUIRE(wait_until(logged_two, 10s));
  {
    std::lock_guard<std::mutex> guard{mtx};
    for (auto& line : lines) {
      BOOST_TEST_MESSAGE("logged: " << line);
      BOOST_TEST(contains(line, "frame guard: disconnected 127.0.0.1:"), line);
      BOOST_TEST(contains(line, "TLS: "), line);
    }
  }
  auto db = connect(tls_client(port));
  BOOST_REQUIRE_MESSAGE(db, message_of(db));
  BOOST_TEST(code((*db)->create("a", "1")) == errc::none);
  BOOST_TEST((*eng)->read("a")->value == "1");
  (*db)->close();
  (*srv)->stop();
  // Options that do not fit are refused before anything listens.
  serve_options half;
  half.tls.certificate_file = certs().cert("server");
  BOOST_TEST(code(serve(**eng, half)) == errc::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
