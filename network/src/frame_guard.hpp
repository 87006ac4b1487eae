#pragma once

// The frame guard: a broker that relays TCP connections to a BASP port and
// bounds the frames a peer may send (see `entact::serve`).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/io/doorman.hpp>

namespace entact::detail {

/// Splits a byte stream into BASP frames: a 32-byte header whose bytes 4..7
/// hold the payload length (u32, big endian), then that many bytes.
class frame_scanner {
public:
  static constexpr size_t header_size = 32;

  /// What `scan` found in one chunk.
  struct result {
    /// Length of the chunk's prefix that ends the last frame completed in
    /// it (0: no frame ends in this chunk).
    size_t complete = 0;
    /// A header declared more than the limit; the stream is unusable.
    bool too_large = false;
    /// The payload length that header declared.
    uint32_t declared = 0;
  };

  explicit frame_scanner(size_t max_payload) : max_payload_(max_payload) {
    // nop
  }

  /// Scans the next `n` bytes of the stream.
  result scan(const char* data, size_t n);

private:
  size_t max_payload_;
  size_t header_seen_ = 0;  // bytes of the current header seen so far
  uint32_t declared_ = 0;   // its payload length, as far as seen
  size_t payload_left_ = 0; // bytes of the current payload still to come
};

/// Asks the guard to close its listening socket (answers `true` once done).
using guard_stop_atom = caf::atom_constant<caf::atom("g_stop")>;

struct frame_guard_config {
  /// Where the BASP broker listens (127.0.0.1).
  uint16_t internal_port = 0;
  /// Largest payload a frame from a peer may declare.
  size_t max_frame_bytes = 0;
  /// Most bytes read from a socket at once.
  size_t read_chunk = 64 * 1024;
  /// Gets one line per peer disconnected for an oversized frame.
  std::function<void(const std::string&)> log;
};

/// Spawns the guard on `door`, the listening socket. Each accepted
/// connection gets its own connection to `cfg.internal_port`; bytes are
/// relayed both ways, a frame from the peer only once it is complete, and
/// when either side closes so does the other. The guard stops when
/// `watched` (the published actor) terminates, or after `guard_stop_atom`
/// once its last connection has closed.
caf::actor spawn_frame_guard(caf::actor_system& sys, caf::io::doorman_ptr door,
                             caf::actor watched, frame_guard_config cfg);

} // namespace entact::detail
