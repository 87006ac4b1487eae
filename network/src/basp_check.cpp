#include "basp_check.hpp"

#include <algorithm>

#include <caf/binary_deserializer.hpp>
#include <caf/io/basp/message_type.hpp>
#include <caf/message_id.hpp>

namespace entact::detail {

namespace {

using caf::io::basp::message_type;
using basp_header = caf::io::basp::header;

std::string name_of(message_type op) {
  return caf::io::basp::to_string(op);
}

/// A node id as CAF makes them for a process: a host hash and a process
/// id, both set. (CAF also reads URI node ids and "no node".)
bool plain_node(const caf::node_id& nid) {
  return nid
         && nid->implementation_id() == caf::node_id::default_data::class_id
         && nid->valid();
}

/// Checks `hdr` against what CAF 0.17 writes for its operation; empty if
/// it matches.
std::string check_fields(const basp_header& hdr) {
  auto op = name_of(hdr.operation);
  auto len = hdr.payload_len;
  auto unexpected = [&](const char* field) {
    return "a " + op + " with an unexpected " + field;
  };
  auto flags_in = [&](uint8_t allowed) { return (hdr.flags & ~allowed) == 0; };
  auto small_payload = [&] {
    return len > 0 && len <= basp_checker::max_control_payload;
  };
  auto max_small = std::to_string(basp_checker::max_control_payload);
  switch (hdr.operation) {
    case message_type::client_handshake:
      if (!flags_in(basp_header::select_connection_flag))
        return unexpected("flags byte");
      if (!small_payload())
        return "a " + op + " declaring a payload of " + std::to_string(len)
               + " bytes (a node id takes 1 to " + max_small + ")";
      if (hdr.operation_data != 0 || hdr.source_actor != 0
          || hdr.dest_actor != 0)
        return unexpected("operation data or actor id");
      return {};
    case message_type::direct_message:
      if (!flags_in(basp_header::named_receiver_flag))
        return unexpected("flags byte");
      if (len == 0)
        return "a " + op + " without payload";
      if (hdr.dest_actor == 0)
        return "a " + op + " to actor id 0";
      return {};
    case message_type::monitor_message:
      if (hdr.flags != 0)
        return unexpected("flags byte");
      if (!small_payload())
        return "a " + op + " declaring a payload of " + std::to_string(len)
               + " bytes (two node ids take 1 to " + max_small + ")";
      if (hdr.operation_data != 0 || hdr.source_actor != 0
          || hdr.dest_actor == 0)
        return unexpected("operation data or actor id");
      return {};
    case message_type::down_message:
      if (hdr.flags != 0)
        return unexpected("flags byte");
      if (len == 0)
        return "a " + op + " without payload";
      if (hdr.operation_data != 0 || hdr.source_actor == 0
          || hdr.dest_actor != 0)
        return unexpected("operation data or actor id");
      return {};
    case message_type::heartbeat:
      if (hdr.flags != 0 || len != 0 || hdr.operation_data != 0
          || hdr.source_actor != 0 || hdr.dest_actor != 0)
        return "a " + op + " with a field other than the operation set";
      return {};
    case message_type::server_handshake:
    case message_type::routed_message:
      return "a " + op + ", which a client never sends";
    default:
      return "a frame with unknown operation "
             + std::to_string(static_cast<unsigned>(hdr.operation));
  }
}

/// A direct message whose message id asks for a response (CAF 0.17's
/// `message_id::is_request`).
bool is_request(const basp_header& hdr) {
  auto mid = hdr.operation_data;
  return hdr.operation == message_type::direct_message
         && (mid & caf::message_id::request_id_mask) != 0
         && (mid & caf::message_id::response_flag_mask) == 0;
}

} // namespace

basp_checker::basp_checker(caf::actor_system& sys, size_t max_payload,
                           claimed_nodes& claimed)
  : sys_(sys), max_payload_(max_payload), claimed_(claimed) {
  header_bytes_.reserve(header_size);
}

basp_checker::~basp_checker() {
  if (handshakes_ > 0)
    claimed_.erase(peer_);
}

basp_checker::result basp_checker::scan(const char* data, size_t n,
                                        size_t max_requests) {
  result res;
  size_t pos = 0;
  while (pos < n && res.requests < max_requests) {
    if (payload_left_ > 0) {
      auto take = std::min(payload_left_, n - pos);
      if (kept_.size() < keep_) {
        auto keep = std::min(take, keep_ - kept_.size());
        kept_.insert(kept_.end(), data + pos, data + pos + keep);
      }
      pos += take;
      payload_left_ -= take;
      if (payload_left_ > 0)
        continue;
    } else {
      auto take = std::min(header_size - header_bytes_.size(), n - pos);
      header_bytes_.insert(header_bytes_.end(), data + pos, data + pos + take);
      pos += take;
      if (header_bytes_.size() < header_size)
        continue;
      res.refusal = check_header();
      header_bytes_.clear();
      if (!res.refusal.empty())
        return res;
      payload_left_ = hdr_.payload_len;
      kept_.clear();
      keep_ = hdr_.operation == message_type::direct_message
                ? 0
                : std::min(payload_left_, max_control_payload);
      if (payload_left_ > 0)
        continue;
    }
    res.refusal = check_frame();
    if (!res.refusal.empty())
      return res;
    if (is_request(hdr_))
      ++res.requests;
    res.complete = pos;
  }
  res.scanned = pos;
  return res;
}

std::string basp_checker::check_header() {
  caf::binary_deserializer source{sys_, header_bytes_.data(), header_size};
  if (auto err = source(hdr_))
    return "a frame header that does not deserialize: " + sys_.render(err);
  if (hdr_.payload_len > max_payload_)
    return "a frame header declares a payload of "
           + std::to_string(hdr_.payload_len) + " bytes, over the limit of "
           + std::to_string(max_payload_);
  // CAF reads the two padding bytes and ignores them.
  if (header_bytes_[1] != 0 || header_bytes_[2] != 0)
    return "a frame header whose padding bytes are not zero";
  if (auto why = check_fields(hdr_); !why.empty())
    return why;
  auto op = hdr_.operation;
  if (handshakes_ == 0 && op != message_type::client_handshake)
    return "a " + name_of(op) + " before the client handshake";
  if (handshakes_ == 2 && op == message_type::client_handshake)
    return "a third client_handshake";
  // BASP's own rules, which the ones above imply.
  if (!caf::io::basp::valid(hdr_))
    return "a frame header BASP itself refuses";
  return {};
}

std::string basp_checker::check_frame() {
  switch (hdr_.operation) {
    case message_type::client_handshake:
      return check_handshake();
    case message_type::monitor_message:
      return check_node_pair(true);
    case message_type::down_message:
      return check_node_pair(false);
    default:
      return {};
  }
}

std::string basp_checker::check_handshake() {
  caf::binary_deserializer source{sys_, kept_.data(), kept_.size()};
  caf::node_id nid;
  if (auto err = source(nid))
    return "a client_handshake whose payload is not a node id: "
           + sys_.render(err);
  if (source.remaining() != 0)
    return "a client_handshake with " + std::to_string(source.remaining())
           + " bytes after its node id";
  if (!plain_node(nid))
    return "a client_handshake with an invalid node id (" + to_string(nid)
           + ")";
  if (nid == sys_.node())
    return "a client_handshake claiming the server's own node id";
  if (handshakes_ > 0) {
    if (nid != peer_)
      return "a repeated client_handshake claiming node " + to_string(nid)
             + ", not " + to_string(peer_);
  } else {
    if (!claimed_.insert(nid).second)
      return "a client_handshake claiming node " + to_string(nid)
             + ", which another connection holds";
    peer_ = nid;
  }
  ++handshakes_;
  return {};
}

std::string basp_checker::check_node_pair(bool whole) {
  auto op = name_of(hdr_.operation);
  caf::binary_deserializer source{sys_, kept_.data(), kept_.size()};
  caf::node_id from;
  caf::node_id to;
  if (auto err = source(from, to))
    return "a " + op + " whose payload does not start with two node ids";
  if (from != peer_)
    return "a " + op + " from node " + to_string(from)
           + ", not the connection's own node " + to_string(peer_);
  if (to != sys_.node())
    return "a " + op + " for node " + to_string(to) + ", not this server";
  if (whole && source.remaining() != 0)
    return "a " + op + " with " + std::to_string(source.remaining())
           + " bytes after its node ids";
  return {};
}

} // namespace entact::detail
