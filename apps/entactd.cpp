// entactd: an entact engine on a data directory, published over CAF's
// networking (BASP) for `entact::client` and the `entact` CLI.
//
//   entactd --data-dir=/var/lib/entact --port=7411
//   entactd --config-file=entactd.ini     (same keys, ini syntax)
//   entactd --data-dir=... --http-port=8080  (also the HTTP/JSON gateway)
//   entactd --data-dir=... --salvage-wal  (open a store whose write-ahead
//                                          log is damaged: drops the writes
//                                          after the damage, says which)
//
//   entactd --tls-cert=server.pem --tls-key=server.key
//           [--tls-client-ca=ca.pem --tls-require-client-cert]   (TLS, mTLS)
//
// Refuses, exiting 1 with the reason: a data directory that is not an
// entact store (nor empty), and a store whose write-ahead log is damaged;
// exiting 64: inconsistent TLS options, and options that would do nothing
// (`--openssl.*`: libcaf_openssl is not used, TLS is `--tls-*`).
//
// Testing only: `--twopc-test-crash-at=prepared|decided|committed` exits
// (code 86) the moment that 2PC step is durable, before it is answered.
//
// Prints where it listens, shuts down cleanly on SIGINT/SIGTERM: every
// acknowledged write is committed before it exits.

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include <unistd.h>

#include <caf/io/middleman.hpp>

#include "entact/decision_dialer.hpp"
#include "entact/engine.hpp"
#include "entact/errc.hpp"
#include "entact/http_token.hpp"
#include "entact/serve.hpp"
#include "entact/serve_http.hpp"
#include "entact/storage/store.hpp"
#include "entact/tls_options.hpp"
#include "entactd_cluster.hpp"
#include "noop_options.hpp"

namespace {

/// entactd's exit code at a --twopc-test-crash-at step.
constexpr int crashed_at_step = 86;

/// entactd's options, through CAF's own config system: command line
/// (`--port=7411`) or an ini file (`--config-file=...`).
class server_config : public entact::config {
public:
  std::string data_dir = "entact-data";
  std::string host = "127.0.0.1";
  uint16_t port = 7411;
  bool sync = true;
  bool no_sync = false;
  size_t partitions = 0;
  size_t resident_cap = 100000;
  size_t idle_timeout_ms = 30000;
  size_t max_value_bytes = 1024 * 1024;
  size_t max_id_bytes = 256;
  size_t max_read_ids = 4096;
  size_t max_read_bytes = entact::limits{}.max_read_bytes;
  size_t max_scan_records = entact::limits{}.max_scan_records;
  size_t max_txn_entities = 64;
  size_t max_lease_ms = 60'000;
  size_t max_frame_bytes = 0;
  size_t max_queued_bytes = entact::serve_options{}.max_queued_bytes;
  size_t max_in_flight = entact::serve_options{}.max_in_flight;
  size_t stall_timeout_ms = entact::serve_options{}.stall_timeout.count();
  size_t max_connections = entact::serve_options{}.max_connections;
  size_t max_connections_per_ip
    = entact::serve_options{}.max_connections_per_ip;
  size_t handshake_timeout_ms
    = entact::serve_options{}.handshake_timeout.count();
  bool salvage_wal = false;
  std::string port_file;
  int64_t http_port = -1;
  std::string http_port_file;
  size_t http_threads = entact::http_options{}.threads;
  size_t http_max_watch_streams = 0;
  size_t http_watch_keepalive_ms = 15'000;
  size_t http_max_open_transactions
    = entact::http_options{}.max_open_transactions;
  std::string http_allowed_hosts;
  std::string http_token_file;
  // A string, not a bool: CAF 0.17 takes no value on a flag
  // (`--http-console=false` would not parse).
  std::string http_console = "true";
  size_t max_watches = entact::engine_options{}.max_watches;
  size_t watch_queue_events = entact::engine_options{}.watch_queue;
  size_t watch_queue_bytes = entact::engine_options{}.watch_queue_bytes;
  size_t max_watches_per_connection
    = entact::engine_options{}.max_watches_per_connection;
  entact::tls_server_options tls;
  entact::apps::cluster_flags cluster;
  // Two-phase commit (README, "Two-phase commit: participant").
  std::string twopc_name;
  size_t twopc_ask_after_ms = 2'000;
  size_t twopc_forget_after_ms = 5'000;
  size_t twopc_decision_wait_ms = 10'000;
  std::string twopc_test_crash_at;

  server_config() {
    cluster.add_to(custom_options_);
    opt_group{custom_options_, "global"}
      .add(data_dir, "data-dir,d", "RocksDB directory (created if missing)")
      .add(host, "host", "address to listen on")
      .add(port, "port,p", "port to listen on (0: any free port)")
      .add(sync, "sync", "fsync the WAL before acknowledging writes (default)")
      .add(no_sync, "no-sync",
           "acknowledge writes before the WAL reaches the disk (a machine "
           "crash may lose the last writes)")
      .add(partitions, "partitions",
           "partitions of a new data directory, each with its own WAL and "
           "committer (0: what the directory holds, 1 for a new one; fixed "
           "at creation)")
      .add(resident_cap, "resident-cap", "most entity actors kept alive")
      .add(idle_timeout_ms, "idle-timeout-ms", "passivate idle entities")
      .add(max_value_bytes, "max-value-bytes", "largest value accepted")
      .add(max_id_bytes, "max-id-bytes", "longest entity id accepted")
      .add(max_read_ids, "max-read-ids", "most ids one read_many may name")
      .add(max_read_bytes, "max-read-bytes",
           "largest reply of one read_many (its records' ids and values)")
      .add(max_scan_records, "max-scan-records",
           "most records in one page of a scan (a larger limit asked for "
           "gets a page of this many)")
      .add(max_lease_ms, "max-lease-ms",
           "longest lease and lock wait a transaction may ask for")
      .add(max_txn_entities, "max-txn-entities",
           "most entities in one transaction or batch")
      .add(max_frame_bytes, "max-frame-bytes",
           "largest network frame a peer may declare; a peer that declares "
           "more is disconnected (0: derived from the limits above)")
      .add(max_queued_bytes, "max-queued-bytes",
           "bytes of replies queued for one peer over which its requests "
           "are no longer read")
      .add(max_in_flight, "max-in-flight",
           "requests of one peer in flight at which its requests are no "
           "longer read")
      .add(stall_timeout_ms, "stall-timeout-ms",
           "disconnect a peer that leaves its replies unread this long")
      .add(max_connections, "max-connections",
           "most clients connected at once (each takes 3 descriptors)")
      .add(max_connections_per_ip, "max-connections-per-ip",
           "most clients connected at once from one IP address (0: no "
           "such cap)")
      .add(handshake_timeout_ms, "handshake-timeout-ms",
           "disconnect a client that has not completed its TLS and BASP "
           "handshakes this long after connecting (at least 1)")
      .add(salvage_wal, "salvage-wal",
           "open a store whose write-ahead log is damaged: keep the writes "
           "before the damage, drop the rest (acknowledged writes are "
           "lost) and log what was dropped")
      .add(port_file, "port-file", "write the listening port to this file")
      .add(http_port, "http-port",
           "serve the HTTP/JSON gateway on this port of --host (0: any "
           "free port; default: no HTTP)")
      .add(http_port_file, "http-port-file",
           "write the HTTP port to this file")
      .add(http_threads, "http-threads",
           "HTTP requests served at once (watch streams included)")
      .add(http_max_watch_streams, "http-max-watch-streams",
           "most HTTP watch streams open at once, below --http-threads "
           "(0: half of --http-threads, at least 1)")
      .add(http_watch_keepalive_ms, "http-watch-keepalive-ms",
           "a quiet HTTP watch stream sends a keepalive this often")
      .add(http_max_open_transactions, "http-max-open-transactions",
           "most interactive HTTP transactions open at once (503 past it)")
      .add(http_allowed_hosts, "http-allowed-hosts",
           "Host names the HTTP gateway serves besides IP addresses and "
           "localhost, comma-separated, each name or name:port (any other "
           "Host is refused: DNS rebinding)")
      .add(http_token_file, "http-token-file",
           "require Authorization: Bearer <the token in this file> on every "
           "HTTP request but GET /healthz and the console page (the file "
           "must be mode 0600 or 0400)")
      .add(http_console, "http-console",
           "serve the browser console at GET / (true or false)")
      .add(twopc_name, "twopc-name",
           "this node as 2PC participant and decision holder (host:port; a "
           "cluster node with a fixed --port: its --host:--port)")
      .add(twopc_ask_after_ms, "twopc-ask-after-ms",
           "age of a prepared transaction before its holder is asked")
      .add(twopc_decision_wait_ms, "twopc-decision-wait-ms",
           "how long this holder waits for the decision of a transaction it "
           "prepared before it presumes abort when a participant asks")
      .add(twopc_forget_after_ms, "twopc-forget-after-ms",
           "age of a commit decision before this holder asks its "
           "participants whether they still hold it prepared, and deletes "
           "it once none does")
      .add(twopc_test_crash_at, "twopc-test-crash-at",
           "testing only: exit at once (code 86, nothing answered) when this "
           "2PC step is durable: prepared, decided (as holder) or committed; "
           "or this step of a batch spanning partitions: span-held, "
           "span-led or span-applied")
      .add(max_watches, "max-watches",
           "most watches open at once (remote and HTTP together)")
      .add(watch_queue_events, "watch-queue-events",
           "most events queued per watch before its watcher gets one "
           "lagged event instead")
      .add(watch_queue_bytes, "watch-queue-bytes",
           "most value bytes queued per watch before it lags")
      .add(max_watches_per_connection, "max-watches-per-connection",
           "most watches one client connection may hold")
      .add(tls.certificate_file, "tls-cert",
           "serve TLS with this PEM certificate chain (needs --tls-key)")
      .add(tls.key_file, "tls-key", "PEM private key of --tls-cert")
      .add(tls.client_ca_file, "tls-client-ca",
           "PEM CA certificates that sign client certificates (needs "
           "--tls-require-client-cert)")
      .add(tls.require_client_certificate, "tls-require-client-cert",
           "refuse clients without a certificate signed by --tls-client-ca");
    load<caf::io::middleman>();
  }

  entact::engine_options engine_options() const {
    entact::engine_options opts;
    opts.path = data_dir;
    opts.sync = sync && !no_sync; // a command-line bool can only be set
    opts.partitions = partitions;
    opts.resident_cap = resident_cap;
    opts.idle_timeout = std::chrono::milliseconds{idle_timeout_ms};
    opts.limits.max_value_bytes = max_value_bytes;
    opts.limits.max_id_bytes = max_id_bytes;
    opts.limits.max_read_ids = max_read_ids;
    opts.limits.max_read_bytes = max_read_bytes;
    opts.limits.max_scan_records = max_scan_records;
    opts.max_txn_entities = max_txn_entities;
    opts.max_lease = std::chrono::milliseconds{max_lease_ms};
    opts.max_watches = max_watches;
    opts.watch_queue = watch_queue_events;
    opts.watch_queue_bytes = watch_queue_bytes;
    opts.max_watches_per_connection = max_watches_per_connection;
    // A prepared transaction of another holder is resolved by asking it
    // over the network (plaintext: TLS to the holder is not wired yet).
    opts.twopc_name = twopc_name;
    // A cluster node's 2PC name is the address it registers with (the
    // cluster client names participants by it): known here for a fixed
    // --port only.
    if (twopc_name.empty() && !cluster.cluster.empty() && port != 0)
      opts.twopc_name = host + ":" + std::to_string(port);
    opts.twopc_ask_after = std::chrono::milliseconds{twopc_ask_after_ms};
    entact::client_options dial;
    dial.connect_timeout = std::chrono::seconds{2};
    dial.request_timeout = std::chrono::seconds{5};
    opts.twopc_ask = entact::decision_dialer(dial);
    // As holder: a commit decision no participant holds prepared any more
    // is deleted (the coordinator's forget may never come).
    opts.twopc_check_prepared = entact::prepared_dialer(dial);
    opts.twopc_forget_after = std::chrono::milliseconds{twopc_forget_after_ms};
    opts.twopc_decision_wait
      = std::chrono::milliseconds{twopc_decision_wait_ms};
    if (!twopc_test_crash_at.empty())
      opts.twopc_test_hook = [at = twopc_test_crash_at](const char* step) {
        if (at != step)
          return;
        // A crash, not a shutdown: nothing flushed, nothing answered.
        static const char line[] = "entactd: --twopc-test-crash-at\n";
        [[maybe_unused]] auto n = ::write(2, line, sizeof(line) - 1);
        ::_exit(crashed_at_step);
      };
    return opts;
  }

  /// What is wrong with --twopc-test-crash-at, or "".
  std::string crash_step_error() const {
    static const char* const steps[]
      = {"prepared", "decided", "committed", "span-held", "span-led",
         "span-applied"};
    if (twopc_test_crash_at.empty()
        || std::find(std::begin(steps), std::end(steps), twopc_test_crash_at)
             != std::end(steps))
      return {};
    return "--twopc-test-crash-at must be prepared, decided, committed, "
           "span-held, span-led or span-applied";
  }

  /// What is wrong with --twopc-decision-wait-ms, or "".
  std::string decision_wait_error() const {
    if (twopc_decision_wait_ms == 0)
      return "--twopc-decision-wait-ms must be at least 1";
    return {};
  }

  /// What is wrong with the watch options, or "".
  std::string watch_options_error() const {
    if (max_watches == 0 || watch_queue_events == 0 || watch_queue_bytes == 0
        || max_watches_per_connection == 0)
      return "--max-watches, --watch-queue-events, --watch-queue-bytes and "
             "--max-watches-per-connection must be at least 1";
    if (http_watch_keepalive_ms == 0 || http_watch_keepalive_ms > 3'600'000)
      return "--http-watch-keepalive-ms must be 1..3600000";
    entact::http_options http;
    http.threads = http_threads;
    http.max_watch_streams = http_max_watch_streams;
    if (http_threads == 0 || entact::max_watch_streams_of(http) >= http_threads)
      return "--http-max-watch-streams (" + std::to_string(
               entact::max_watch_streams_of(http))
             + ") must be below --http-threads ("
             + std::to_string(http_threads)
             + "): each stream holds a thread, and one must stay for other "
               "requests";
    return {};
  }

  /// The HTTP options of these flags beside the engine's limits: the
  /// token file is read here, so that a bad one stops entactd before it
  /// opens anything. Returns what is wrong, or "".
  std::string apply_http_flags(entact::http_options& opts) const {
    if (http_console != "true" && http_console != "false")
      return "--http-console must be true or false";
    opts.console = http_console == "true";
    if (http_max_open_transactions == 0)
      return "--http-max-open-transactions must be at least 1 (0 would "
             "refuse every POST /v1/transactions/begin)";
    opts.max_open_transactions = http_max_open_transactions;
    std::stringstream hosts{http_allowed_hosts};
    for (std::string name; std::getline(hosts, name, ',');)
      if (!name.empty())
        opts.allowed_hosts.push_back(name);
    if (!http_token_file.empty()) {
      auto token = entact::read_http_token_file(http_token_file);
      if (!token)
        return entact::render_error(token.error().code(),
                                    token.error().category(),
                                    token.error().context());
      opts.token = std::move(*token);
    }
    opts.threads = http_threads;
    opts.max_watch_streams = http_max_watch_streams;
    opts.watch_keepalive
      = std::chrono::milliseconds{http_watch_keepalive_ms};
    return {};
  }
};

void log(const std::string& line) {
  std::cerr << "entactd: " << line << std::endl;
}

std::string describe(const caf::error& err) {
  return entact::render_error(err.code(), err.category(), err.context());
}

/// Opens the store with `salvage_wal` and logs what RocksDB dropped; the
/// salvaged store then opens as any other. Returns false if it failed.
bool salvage(const entact::engine_options& opts) {
  entact::storage::store_options so;
  so.path = opts.path;
  so.sync = opts.sync;
  so.partitions = opts.partitions;
  so.limits = opts.limits;
  so.salvage_wal = true;
  auto st = entact::storage::store::open(so);
  if (!st) {
    log("cannot salvage " + opts.path + ": " + describe(st.error()));
    return false;
  }
  const auto& dropped = (*st)->salvage_report();
  if (dropped.empty())
    log("salvage of " + opts.path + ": nothing was dropped");
  for (const auto& line : dropped)
    log("salvage of " + opts.path + " dropped: " + line);
  return true;
}

/// Blocks SIGINT and SIGTERM in every thread (threads inherit the mask), so
/// the main thread can wait for them with `sigwait`.
sigset_t block_stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

/// Starts the HTTP gateway if `--http-port` asked for it; false (logged)
/// if it could not listen.
bool serve_http_if_asked(entact::engine& eng, entact::http_options opts,
                         const std::string& host, int64_t port,
                         const std::string& port_file,
                         std::unique_ptr<entact::http_listener>& out) {
  if (port < 0)
    return true;
  opts.host = host;
  opts.port = static_cast<uint16_t>(port);
  // GET /metrics reads the engine's counters; a scrape waits at most 2 s.
  opts.stats = [&eng] { return eng.stats(std::chrono::seconds{2}); };
  auto http = entact::serve_http(eng, opts);
  if (!http) {
    log("cannot serve HTTP on " + host + ":" + std::to_string(port) + ": "
        + eng.system().render(http.error()));
    return false;
  }
  out = std::move(*http);
  if (!port_file.empty())
    std::ofstream{port_file} << out->port() << '\n';
  std::printf("entactd: HTTP on %s:%u\n", host.c_str(), unsigned{out->port()});
  return true;
}

} // namespace

int main(int argc, char** argv) {
  auto signals = block_stop_signals();
  auto cfg = std::make_unique<server_config>();
  if (auto err = cfg->parse(argc, argv)) {
    log("bad configuration: " + to_string(err));
    return 64;
  }
  if (cfg->cli_helptext_printed)
    return 0;
  auto noop = entact::apps::noop_options(
    *cfg, "TLS is --tls-cert, --tls-key, --tls-client-ca and "
          "--tls-require-client-cert");
  if (!noop.empty()) {
    log("bad configuration: " + noop);
    return 64;
  }
  if (cfg->tls.enabled())
    if (auto err = entact::check_tls_options(cfg->tls)) {
      log("bad configuration: " + describe(err));
      return 64;
    }
  auto opts = cfg->engine_options();
  std::string cluster_error;
  auto node = cfg->cluster.make_node(opts, cluster_error, [](auto& line) {
    log("cluster: " + line);
  });
  if (!cluster_error.empty()) {
    log("bad configuration: " + cluster_error);
    return 64;
  }
  entact::serve_options serve_opts;
  serve_opts.host = cfg->host;
  serve_opts.port = cfg->port;
  serve_opts.max_frame_bytes = cfg->max_frame_bytes;
  serve_opts.max_queued_bytes = cfg->max_queued_bytes;
  serve_opts.max_in_flight = cfg->max_in_flight;
  serve_opts.stall_timeout = std::chrono::milliseconds{cfg->stall_timeout_ms};
  serve_opts.max_connections = cfg->max_connections;
  serve_opts.max_connections_per_ip = cfg->max_connections_per_ip;
  serve_opts.handshake_timeout
    = std::chrono::milliseconds{cfg->handshake_timeout_ms};
  serve_opts.log = [](const std::string& line) { log(line); };
  serve_opts.tls = cfg->tls;
  auto port_file = cfg->port_file;
  auto http_port = cfg->http_port;
  auto http_port_file = cfg->http_port_file;
  if (cfg->handshake_timeout_ms == 0
      || cfg->handshake_timeout_ms > 3'600'000) {
    log("bad configuration: --handshake-timeout-ms must be 1..3600000");
    return 64;
  }
  if (http_port > 65535 || http_port < -1) {
    log("bad configuration: --http-port must be 0..65535");
    return 64;
  }
  if (auto bad = cfg->crash_step_error(); !bad.empty()) {
    log("bad configuration: " + bad);
    return 64;
  }
  if (auto bad = cfg->decision_wait_error(); !bad.empty()) {
    log("bad configuration: " + bad);
    return 64;
  }
  if (auto bad = cfg->watch_options_error(); !bad.empty()) {
    log("bad configuration: " + bad);
    return 64;
  }
  if (cfg->salvage_wal && !salvage(opts))
    return 1;
  auto http_opts = entact::http_options_for(opts);
  if (auto bad = cfg->apply_http_flags(http_opts); !bad.empty()) {
    log("bad configuration: " + bad);
    return 64;
  }
  auto eng = entact::engine::open(opts, std::move(cfg));
  if (!eng) {
    log("cannot open " + opts.path + ": " + describe(eng.error()));
    return 1;
  }
  auto server = entact::serve(**eng, serve_opts);
  if (!server) {
    log("cannot listen on " + serve_opts.host + ":"
        + std::to_string(serve_opts.port) + ": "
        + (*eng)->system().render(server.error()));
    return 1;
  }
  std::unique_ptr<entact::http_listener> http;
  if (!serve_http_if_asked(**eng, http_opts, serve_opts.host, http_port,
                           http_port_file, http))
    return 1;
  if (node)
    entact::apps::start_node(*node, **eng,
                             serve_opts.host + ":"
                               + std::to_string((*server)->port()));
  if (!port_file.empty())
    std::ofstream{port_file} << (*server)->port() << '\n';
  std::printf("entactd: listening on %s:%u (data dir %s, sync %s, frames "
              "up to %zu bytes, %s)\n",
              serve_opts.host.c_str(), unsigned{(*server)->port()},
              opts.path.c_str(), opts.sync ? "on" : "off",
              (*server)->max_frame_bytes(),
              !serve_opts.tls.enabled() ? "plaintext"
              : serve_opts.tls.require_client_certificate
                ? "TLS, client certificates required"
                : "TLS");
  std::fflush(stdout);
  int sig = 0;
  sigwait(&signals, &sig);
  log(std::string{"received "} + (sig == SIGINT ? "SIGINT" : "SIGTERM")
      + ", shutting down");
  if (http)
    http->stop();
  (*server)->stop();
  (*eng)->close();
  log("stopped cleanly");
  return 0;
}
