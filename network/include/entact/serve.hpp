#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <caf/expected.hpp>

#include "entact/engine_options.hpp"
#include "entact/tls_options.hpp"

namespace entact {

class engine;

/// Where and how `serve` makes an engine reachable for `entact::client`.
struct serve_options {
  /// Address to listen on (empty: every interface).
  std::string host = "127.0.0.1";
  /// Port to listen on (0: any free port; `listener::port` tells which).
  uint16_t port = 0;
  /// Largest payload one BASP frame may declare; a peer that declares more
  /// is disconnected before anything is allocated for it. 0: derived from
  /// the engine's limits (`default_max_frame_bytes`).
  size_t max_frame_bytes = 0;
  /// Bind even if the port is in TIME_WAIT from an earlier server.
  bool reuse_address = true;
  /// Bytes of replies queued for one peer (in the guard's write buffer,
  /// past what its socket took) over which the guard stops reading that
  /// peer's requests: they wait in the kernel's socket buffers, not in
  /// entactd's memory. Reading resumes once the peer has drained half.
  size_t max_queued_bytes = 4 * 1024 * 1024;
  /// Most requests of one peer in flight (forwarded to the engine, not
  /// yet answered); fewer when its replies are large: no more than the
  /// replies of the size of its recent ones that fit into what is left of
  /// `max_queued_bytes` (at least one). At the limit the guard holds back
  /// the rest of the read (at most 64 KiB) and stops reading from the peer
  /// until half are answered.
  size_t max_in_flight = 128;
  /// A peer that has replies queued and none of them written to its
  /// socket for this long is disconnected (logged), and all held for it is
  /// freed.
  std::chrono::milliseconds stall_timeout{10000};
  /// Most peers connected at once; one more is closed as it arrives
  /// (logged). Each takes three file descriptors (its socket and both ends
  /// of its connection to BASP): keep `ulimit -n` above three times this.
  size_t max_connections = 256;
  /// Most peers connected at once from one IP address (0: no such cap);
  /// one more from it is closed as it arrives (logged). Keeps one host
  /// from taking every `max_connections` slot; peers behind one NAT share
  /// the cap.
  size_t max_connections_per_ip = 0;
  /// A peer must complete its TLS handshake (on a TLS port) and its BASP
  /// client handshake within this long after connecting, or it is
  /// disconnected (logged): idle or dribbling peers cannot hold the
  /// `max_connections` slots. Must be positive.
  std::chrono::milliseconds handshake_timeout{10000};
  /// Gets one line (no newline) per peer the guard disconnects or
  /// refuses, and per connection to the front door's private endpoint
  /// from another process, e.g.
  /// `frame guard: disconnected 10.0.0.7:51234: a frame header declares a
  /// payload of 4294967295 bytes, over the limit of 135299072`. Called in
  /// CAF's I/O thread: keep it short. Empty: standard error, prefixed with
  /// `entact: `.
  std::function<void(const std::string&)> log;
  /// TLS (default: none, plaintext). With a certificate and key, every
  /// peer must complete a TLS handshake first; with
  /// `require_client_certificate`, also present a certificate signed by
  /// `client_ca_file`. A peer that fails is disconnected with a `log` line
  /// (`frame guard: disconnected ADDR:PORT: TLS: ...`).
  tls_server_options tls = {};
};

/// The frame limit `serve` uses when `serve_options::max_frame_bytes` is 0:
/// `max(16 MiB, 2 * max(max_txn_entities * (max_value_bytes + max_id_bytes),
/// max_read_ids * max_id_bytes) + 1 MiB)`, at most 4 GiB - 1 (BASP's
/// length field is 32 bits).
///
/// The largest legal request is a batch or a transaction commit with
/// `max_txn_entities` writes, each an id and a value at their limits, or a
/// `read_many` of `max_read_ids` ids at their limit; the factor 2 and the
/// extra MiB leave room for CAF's encoding and the BASP routing data
/// around them. The 16 MiB floor keeps requests that are
/// merely over a value limit (an 8 MiB value to a server with small limits)
/// on the wire, so that the engine refuses them with `too_large` instead
/// of the connection being cut. With the defaults (1 MiB values, 256-byte
/// ids, 64 entities) this is 129 MiB.
size_t default_max_frame_bytes(const engine_options& opts);

/// An engine published by `serve`: a listening socket whose connections
/// are relayed, through the frame guard, to the engine's front door.
///
/// Stop it (or destroy it) before closing the engine. If the engine closes
/// first, the guard shuts itself down with the front door and `stop`
/// becomes a no-op, but the listener must still not outlive the engine.
class listener {
public:
  ~listener();

  listener(const listener&) = delete;
  listener& operator=(const listener&) = delete;

  /// The port the listening socket is bound to.
  uint16_t port() const noexcept;

  /// The frame limit in force.
  size_t max_frame_bytes() const noexcept;

  /// Stops accepting connections: when it returns, the port is closed.
  /// Connections already open stay served until they close or the engine
  /// closes, so calls in flight still get their answers. Idempotent.
  void stop();

  struct impl;

private:
  friend caf::expected<std::unique_ptr<listener>> serve(engine&,
                                                        serve_options);

  explicit listener(std::unique_ptr<impl> ptr);

  std::unique_ptr<impl> impl_;
};

/// Publishes `eng.front_door()` on `opts.host`:`opts.port` behind a frame
/// guard. CAF 0.17's BASP allocates whatever payload length a frame header
/// declares; the guard parses the byte stream of every connection as BASP
/// frames, forwards a frame only once all of it has arrived (so memory
/// follows the bytes a peer really sends, never what it declares), and
/// disconnects a peer whose header declares more than the limit. The
/// front door itself is published on a Unix socket in Linux's abstract
/// namespace that accepts only connections from this process (checked
/// with `SO_PEERCRED` before BASP reads a byte): no other process reaches
/// BASP without passing the guard. Each peer is read from only while the
/// replies queued for it and its requests in flight are within
/// `opts.max_queued_bytes` and `opts.max_in_flight`, and cut off when it
/// leaves its replies unread for `opts.stall_timeout`.
///
/// The limit must leave room for BASP's handshake (a few hundred bytes)
/// and for every request the engine should see.
///
/// Errors: `invalid_argument` (the engine is closed, or its actor system
/// has no middleman: load `caf::io::middleman` in the config passed to
/// `engine::open`, or the TLS options are inconsistent: a certificate
/// without its key, an unreadable or malformed file, a key that does not
/// match the certificate, a client CA without client certificates
/// required or the reverse; a `handshake_timeout` that is not positive),
/// `timeout` (the guard's broker did not start within 10 s), or CAF's own
/// error when the address cannot be bound (e.g. `caf::sec::cannot_open_port`).
///
/// The guard quits when the engine closes (its `on_close`, before any of
/// the engine's actors stops), cutting the connections still open, so that
/// nothing of it is left in CAF's event loop when the actor system ends.
caf::expected<std::unique_ptr<listener>> serve(engine& eng,
                                               serve_options opts = {});

} // namespace entact
