#pragma once

// What the frame guard learns from the bytes BASP sends a peer: how many
// of its requests have been answered.

#include <cstddef>
#include <vector>

#include <caf/actor_system.hpp>

#include "basp_destinations.hpp"

namespace entact::detail {

/// Splits the byte stream BASP writes towards one peer into frames and
/// counts the responses among them (direct messages whose message id is a
/// response); tells `dests` about each frame (what the peer may answer).
/// BASP's own output: trusted to be well formed.
class basp_reply_counter {
public:
  /// `dests` outlives the counter.
  basp_reply_counter(caf::actor_system& sys, peer_destinations& dests);

  /// What `scan` found.
  struct result {
    /// Responses whose header is in the chunk.
    size_t responses = 0;
    /// Their sizes (header and payload), summed.
    size_t bytes = 0;
  };

  /// Scans the next `n` bytes.
  result scan(const char* data, size_t n);

private:
  caf::actor_system& sys_;
  peer_destinations& dests_;
  std::vector<char> header_bytes_; // of the current header, as far as seen
  size_t payload_left_ = 0;        // of the current frame
};

} // namespace entact::detail
