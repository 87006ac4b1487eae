#pragma once

// The frame guard: a broker that relays TCP connections to a BASP port and
// lets through only the frames CAF's BASP handles safely (see
// `entact::serve`; what passes is `basp_checker`'s to say).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/io/doorman.hpp>

#include "tls_context.hpp"

namespace entact::detail {

/// Asks the guard to close its listening socket (answers `true` once done).
using guard_stop_atom = caf::atom_constant<caf::atom("g_stop")>;

/// Answers `true` once the guard's listening socket is in CAF's event loop:
/// only then may it be stopped (see `spawn_frame_guard`).
using guard_ready_atom = caf::atom_constant<caf::atom("g_ready")>;

/// Tells the guard to quit now: every connection cut, the listening socket
/// closed (see `quit_frame_guard`).
using guard_quit_atom = caf::atom_constant<caf::atom("g_quit")>;

struct frame_guard_config {
  /// The abstract name of the BASP broker's private endpoint
  /// (`publish_privately`).
  std::string endpoint;
  /// Largest payload a frame from a peer may declare.
  size_t max_frame_bytes = 0;
  /// Most bytes read from a socket at once.
  size_t read_chunk = 64 * 1024;
  /// Bytes queued towards a peer past which the guard stops reading from
  /// it; it reads again once they are down to half.
  size_t max_queued_bytes = 0;
  /// Most requests of a peer in flight (forwarded, not yet answered); also,
  /// no more than the replies of its recent size that fit into what is
  /// left of `max_queued_bytes`. At the limit the guard holds back the
  /// rest of a read and stops reading; it reads again at half.
  size_t max_in_flight = 0;
  /// A peer with bytes queued and none of them written for this long is
  /// disconnected.
  std::chrono::milliseconds stall_timeout{0};
  /// Most peers connected at once; one more is closed as it arrives.
  size_t max_connections = 0;
  /// Most peers connected at once from one IP address (0: no such cap);
  /// one more from it is closed as it arrives.
  size_t max_connections_per_ip = 0;
  /// A peer that has not completed its TLS handshake (if the port speaks
  /// TLS) and its BASP client handshake this long after it connected is
  /// disconnected: an idle or dribbling peer holds no slot for long.
  std::chrono::milliseconds handshake_timeout{0};
  /// The published actor's id: the one actor a peer's requests may name
  /// (see `peer_destinations`).
  caf::actor_id door = 0;
  /// Gets one line per peer disconnected for a frame it may not send,
  /// for replies it does not read or for a handshake it does not finish.
  std::function<void(const std::string&)> log;
  /// Set: peers speak TLS; the guard decrypts, checks the plaintext frames
  /// and encrypts what goes back (see `tls_session`).
  tls_context_ptr tls;
};

/// Spawns the guard on `door`, the listening socket. Each accepted
/// connection gets its own connection to `cfg.endpoint`; bytes are
/// relayed both ways, a frame from the peer only once it is complete and
/// checked, and when either side closes so does the other. Each peer is
/// read from only while its queued replies and requests in flight are
/// within the bounds of `cfg`. The guard stops when `watched` (the
/// published actor) terminates, or after `guard_stop_atom` once its last
/// connection has closed; stopping, it drops what is still queued for its
/// peers, so that no peer can hold up the shutdown. Returns once the guard
/// is ready (`guard_ready_atom`, at most `ready_within`; null if it was not).
caf::actor spawn_frame_guard(caf::actor_system& sys, caf::io::doorman_ptr door,
                             caf::actor watched, frame_guard_config cfg,
                             caf::timespan ready_within);

/// Makes `guard` cut its connections, close its listening socket and quit,
/// and waits until it has terminated (at most `limit`; false if it had
/// not). Call it while the actor system still runs (the engine's
/// `on_close`), before the front door stops: then the guard is gone, with
/// its doorman out of the event loop, before any actor it relays to.
bool quit_frame_guard(caf::actor_system& sys, const caf::actor& guard,
                      caf::timespan limit);

} // namespace entact::detail
