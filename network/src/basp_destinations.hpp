#pragma once

// Which of the server's actors one peer may address: the frame guard
// learns it from the frames BASP sends the peer and checks the frames the
// peer sends against it.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>

#include <caf/actor_addr.hpp>
#include <caf/io/basp/header.hpp>

namespace entact::detail {

/// What a peer's direct and monitor messages may name. entact's API hands
/// out no actor handles, so a CAF 0.17 client needs only:
///
/// - the published front door (requests and one-way messages);
/// - CAF's node-info query after the handshake: one one-way message to the
///   named receiver "SpawnServ" holding `(sys_atom, get_atom, "info")`
///   (checked by `basp_checker`, which sees the payload);
/// - a reply to what the server sent it: one response per request of a
///   server actor to the peer (same actor, same request id), one one-way
///   message per one-way message of a server actor (CAF answers the
///   server's own node-info query so);
/// - a monitor message for the front door or for an actor the server sent
///   it a message from (CAF's proxy of it announces itself so).
///
/// Everything else (any other actor id, another named receiver, a request
/// to SpawnServ, a response nobody asked for) is refused. What is kept is
/// bounded: the oldest entries make way for new ones (a reply that comes
/// later than `capacity` newer entries is refused).
class peer_destinations {
public:
  /// Most reply slots and most recent senders kept, each.
  static constexpr size_t capacity = 1024;

  explicit peer_destinations(caf::actor_id door);

  /// Learns from the header of a frame BASP sends the peer.
  void learn(const caf::io::basp::header& hdr);

  /// Checks the header of a direct or monitor message from the peer (a
  /// reply uses up its slot); empty if it may pass, else why not.
  std::string admit(const caf::io::basp::header& hdr);

  /// The named receiver of CAF's node-info query.
  static uint64_t spawn_server_name();

private:
  std::string admit_direct(const caf::io::basp::header& hdr);
  std::string admit_monitor(const caf::io::basp::header& hdr);

  /// A message the peer may send once: to `actor`, with `key` (a response's
  /// request id, or 0 for a one-way message).
  struct reply_slot {
    caf::actor_id actor;
    uint64_t key;
  };

  caf::actor_id door_;
  bool asked_node_info_ = false;
  std::deque<reply_slot> replies_;
  /// Senders of the messages the peer got, by when last seen (`seen_`
  /// holds the order, with stale entries skipped when evicted).
  std::unordered_map<caf::actor_id, uint64_t> senders_;
  std::deque<std::pair<caf::actor_id, uint64_t>> seen_;
  uint64_t clock_ = 0;
};

} // namespace entact::detail
