#pragma once

// What the frame guard lets a peer send to CAF 0.17's BASP broker: the
// frames of one connection, checked header by header and in order.

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/deserializer.hpp>
#include <caf/io/basp/header.hpp>
#include <caf/node_id.hpp>

#include "basp_destinations.hpp"

namespace entact::detail {

/// The node ids that connections through one guard have claimed in their
/// client handshakes: two live connections never claim the same one.
using claimed_nodes = std::unordered_set<caf::node_id>;

/// Splits the byte stream a peer sends into BASP frames (a 32-byte header,
/// then the payload length its bytes 4..7 declare) and checks each one
/// against what a CAF 0.17 client sends and what BASP handles safely:
///
/// - the header: a known operation a client sends (`client_handshake`,
///   `direct_message`, `monitor_message`, `down_message`, `heartbeat`; not
///   `server_handshake` or `routed_message`), zero padding, only the flags
///   of that operation, a payload length within the limits of that
///   operation, and the operation data and actor ids that operation
///   allows;
/// - the order: a client handshake first, at most one more later (CAF's
///   "select this connection" repeat), then anything else;
/// - the payloads CAF reads before any checks of its own: a client
///   handshake holds exactly one valid node id (not the server's, not one
///   another live connection claimed, the same in a repeat); a monitor or
///   down message starts with the peer's node id and the server's;
/// - the destinations: a direct or monitor message names only what
///   `peer_destinations` allows; the one message to the named receiver
///   SpawnServ is CAF's node-info query `(sys_atom, get_atom, "info")`;
/// - what CAF 0.17 deserialises without a depth limit (a message holding
///   messages or errors, whose context is a message: deep enough, it
///   overflows the reading thread's stack): a direct message has no
///   forwarding stack and carries a message of only the types a request to
///   `server_api` holds (plus CAF's own node-info exchange); a down message
///   (its reason an error) takes at most `max_control_payload` bytes, and
///   its reason's context holds those types only. (They also keep out
///   CAF's config_value, whose reader throws on a bad variant index.)
///
/// The first frame that fails makes the stream unusable: `scan` says why,
/// and the guard drops the connection.
class basp_checker {
public:
  static constexpr size_t header_size = 32;

  /// Largest payload of a client handshake, monitor or down message (a
  /// node id or two: 32 bytes each; an exit reason), and how much of a
  /// direct message's payload is kept to check its type names.
  static constexpr size_t max_control_payload = 1024;

  /// What `scan` found in one chunk.
  struct result {
    /// Length of the chunk's prefix that ends the last frame completed
    /// and accepted in it (0: none ends in this chunk).
    size_t complete = 0;
    /// Length of the prefix scanned: all of the chunk, unless the scan
    /// stopped after its `max_requests`th request.
    size_t scanned = 0;
    /// Empty, or why the stream is refused.
    std::string refusal;
    /// How many of the frames completed in the chunk are requests (direct
    /// messages that expect a response): the guard counts them in flight.
    size_t requests = 0;
  };

  /// Checks frames for a guard in `sys` (whose node is the server's),
  /// whose peers' payloads may be at most `max_payload` bytes, and whose
  /// messages may name what `dests` allows (it outlives the checker).
  basp_checker(caf::actor_system& sys, size_t max_payload,
               claimed_nodes& claimed, peer_destinations& dests);

  /// True once the peer's first client handshake has passed.
  bool handshaken() const {
    return handshakes_ > 0;
  }

  ~basp_checker();

  basp_checker(const basp_checker&) = delete;
  basp_checker& operator=(const basp_checker&) = delete;

  /// Scans the next `n` bytes of the stream, stopping after the frame
  /// that completes the `max_requests`th request (the rest is for the
  /// next call). After a refusal, nothing more may be scanned.
  result scan(const char* data, size_t n,
              size_t max_requests = static_cast<size_t>(-1));

private:
  /// Checks a complete header; empty if it may be followed by its payload.
  std::string check_header();

  /// Checks a complete frame (the header and the payload bytes kept of
  /// it); empty if it may pass.
  std::string check_frame();

  std::string check_handshake();

  /// Checks that a monitor or down message starts with the peer's node id
  /// and the server's (and, if `whole`, holds nothing else).
  std::string check_node_pair(bool whole);

  /// Checks that a down message holds two node ids and an error whose
  /// context has `request_types_` only, nothing else.
  std::string check_down();

  /// Checks the start of a direct message's payload: no forwarding stack,
  /// then a message of `request_types_` only.
  std::string check_message_types();

  /// Checks that a direct message to the named receiver SpawnServ is
  /// CAF's node-info query and nothing else.
  std::string check_node_info_query();

  /// Reads the header of a `caf::message` (its types' names) from
  /// `source` and checks that each is in `request_types_`; empty if so,
  /// else why `what` is refused.
  std::string check_message_header(caf::deserializer& source,
                                   const std::string& what);

  caf::actor_system& sys_;
  size_t max_payload_;
  claimed_nodes& claimed_;
  peer_destinations& dests_;
  std::set<std::string> request_types_; // type names a message may carry
  caf::node_id peer_;              // claimed in its first handshake
  int handshakes_ = 0;             // client handshakes seen
  std::vector<char> header_bytes_; // of the current header, as far as seen
  caf::io::basp::header hdr_;      // the current header, once complete
  std::vector<char> kept_;         // payload bytes kept for checking
  size_t keep_ = 0;                // how many of them to keep
  size_t payload_left_ = 0;        // payload bytes still to come
};

} // namespace entact::detail
