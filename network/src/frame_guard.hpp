#pragma once

// The frame guard: a broker that relays TCP connections to a BASP port and
// lets through only the frames CAF's BASP handles safely (see
// `entact::serve`; what passes is `basp_checker`'s to say).

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

struct frame_guard_config {
  /// Where the BASP broker listens (127.0.0.1).
  uint16_t internal_port = 0;
  /// Largest payload a frame from a peer may declare.
  size_t max_frame_bytes = 0;
  /// Most bytes read from a socket at once.
  size_t read_chunk = 64 * 1024;
  /// Gets one line per peer disconnected for a frame it may not send.
  std::function<void(const std::string&)> log;
  /// Set: peers speak TLS; the guard decrypts, checks the plaintext frames
  /// and encrypts what goes back (see `tls_session`).
  tls_context_ptr tls;
};

/// Spawns the guard on `door`, the listening socket. Each accepted
/// connection gets its own connection to `cfg.internal_port`; bytes are
/// relayed both ways, a frame from the peer only once it is complete and
/// checked, and when either side closes so does the other. The guard stops when
/// `watched` (the published actor) terminates, or after `guard_stop_atom`
/// once its last connection has closed.
caf::actor spawn_frame_guard(caf::actor_system& sys, caf::io::doorman_ptr door,
                             caf::actor watched, frame_guard_config cfg);

} // namespace entact::detail
