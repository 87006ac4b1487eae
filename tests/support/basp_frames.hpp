#pragma once

// BASP frames as a CAF 0.17 client sends them, their payloads written by
// CAF's own binary serializer, for tests that talk to entactd below the
// client library (see raw_conn.hpp for the header layout).

#include <cstdint>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <caf/actor_control_block.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/make_message.hpp>
#include <caf/node_id.hpp>

#include "support/raw_conn.hpp"

namespace entact::test {

inline constexpr uint8_t basp_routed_message = 0x03;
inline constexpr uint8_t basp_monitor_message = 0x04;
inline constexpr uint8_t basp_down_message = 0x05;
inline constexpr uint8_t basp_select_connection_flag = 0x02;

/// A node id as a CAF process makes them (a host hash and a process id),
/// of a made-up host: distinct for distinct (`pid`, `host`).
inline caf::node_id fake_node(uint32_t pid, uint8_t host = 0x5a) {
  caf::node_id::default_data::host_id_type id;
  id.fill(host);
  return caf::make_node_id(pid, id);
}

/// `xs` as CAF's binary serializer writes them.
template <class... Ts>
std::vector<uint8_t> serialized(Ts... xs) {
  std::vector<char> buf;
  caf::binary_serializer sink{nullptr, buf};
  if (auto err = sink(xs...))
    throw std::runtime_error("cannot serialize a BASP payload");
  return {buf.begin(), buf.end()};
}

/// `xs` as CAF's binary serializer writes them in an actor system (a
/// message, or an error with its context, needs one: without, CAF writes
/// nothing of the message).
template <class... Ts>
std::vector<uint8_t> serialized_in_system(Ts... xs) {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  if (auto err = sink(xs...))
    throw std::runtime_error("cannot serialize a BASP payload");
  return {buf.begin(), buf.end()};
}

/// The payload of a direct message as a CAF client writes it (no
/// forwarding stages, then the message), `size` bytes (at least 40) long:
/// a get of an id of 'x's (what the frame guard lets through; whether the
/// server accepts the id is the server's business).
inline std::vector<uint8_t> request_payload(size_t size) {
  auto payload_with = [&](size_t id_len) {
    return serialized_in_system(
      std::vector<caf::strong_actor_ptr>{},
      caf::make_message(caf::atom("e_get"), std::string(id_len, 'x')));
  };
  // The id's length prefix takes 1 to 5 bytes: shorten the id until the
  // payload fits exactly.
  auto overhead = payload_with(0).size();
  for (size_t cut = 0; cut < 5 && overhead + cut <= size; ++cut) {
    auto payload = payload_with(size - overhead - cut);
    if (payload.size() == size)
      return payload;
  }
  throw std::runtime_error("no request payload of " + std::to_string(size)
                           + " bytes");
}

/// A frame: a header with the payload's length, then the payload.
inline std::vector<uint8_t> basp_frame(uint8_t op,
                                       const std::vector<uint8_t>& payload,
                                       uint64_t operation_data = 0,
                                       uint64_t source_actor = 0,
                                       uint64_t dest_actor = 0,
                                       uint8_t flags = 0) {
  return concat(basp_header(op, static_cast<uint32_t>(payload.size()),
                            operation_data, source_actor, dest_actor, flags),
                payload);
}

/// The client handshake claiming `node` (`flags`: 0 for the first, CAF's
/// select-connection flag for its repeat).
inline std::vector<uint8_t> client_handshake(const caf::node_id& node,
                                             uint8_t flags = 0) {
  return basp_frame(basp_client_handshake, serialized(node), 0, 0, 0, flags);
}

/// What a server's handshake says.
struct server_hello {
  caf::node_id node;     // none: no handshake read
  uint64_t door = 0;     // the published actor's id
};

/// Reads the server's handshake (header and payload) on a fresh
/// connection (a raw_conn, or anything with its `recv_exact`): proof that
/// the connection reached BASP through the guard.
template <class Conn>
server_hello read_server_handshake(Conn& c) {
  server_hello res;
  std::vector<uint8_t> hdr;
  std::vector<uint8_t> payload;
  if (!c.recv_exact(hdr, basp_header_size) || hdr[0] != basp_server_handshake
      || !c.recv_exact(payload, get_be32(hdr, 4)))
    return res;
  std::vector<char> bytes{payload.begin(), payload.end()};
  caf::binary_deserializer source{nullptr, bytes};
  caf::node_id node;
  std::vector<std::string> app_ids;
  uint64_t door = 0;
  std::set<std::string> iface;
  if (!source(node, app_ids, door, iface)) {
    res.node = node;
    res.door = door;
  }
  return res;
}

/// Reads the frames the server sends until one is a message to `actor`
/// (true), or none arrives for a second (false).
inline bool await_message_to(raw_conn& c, uint64_t actor) {
  std::vector<uint8_t> hdr;
  std::vector<uint8_t> payload;
  while (c.recv_exact(hdr, basp_header_size)
         && c.recv_exact(payload, get_be32(hdr, 4))) {
    uint64_t dest = 0;
    for (size_t i = 24; i < 32; ++i)
      dest = (dest << 8) | hdr[i];
    if (hdr[0] == basp_direct_message && dest == actor)
      return true;
  }
  return false;
}

} // namespace entact::test
