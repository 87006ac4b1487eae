#include "basp_check.hpp"

#include <algorithm>
#include <string_view>
#include <typeinfo>

#include <caf/binary_deserializer.hpp>
#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/io/basp/message_type.hpp>
#include <caf/message.hpp>
#include <caf/message_id.hpp>
#include <caf/type_nr.hpp>

#include "entact/interfaces.hpp"

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

/// The name CAF writes for a value of type `T` in a message; an atom
/// constant of an interface travels as an atom value.
template <class T>
struct wire_name {
  static std::string of(const caf::uniform_type_info_map& types) {
    return types.portable_name(caf::type_nr<T>::value, &typeid(T));
  }
};

template <caf::atom_value V>
struct wire_name<caf::atom_constant<V>> {
  static std::string of(const caf::uniform_type_info_map&) {
    return "@atom";
  }
};

template <class... Is, class Outputs>
void add_inputs(caf::typed_mpi<caf::detail::type_list<Is...>, Outputs>*,
                const caf::uniform_type_info_map& types,
                std::set<std::string>& names) {
  (names.insert(wire_name<Is>::of(types)), ...);
}

/// The types of every request of `server_api` (derived from it, so a new
/// request passes as soon as it is in the interface), and those of CAF's
/// node-info exchange after a handshake: `(sys_atom, get_atom, "info")` to
/// the server's "SpawnServ" and the answer `(ok_atom, "info",
/// strong_actor_ptr, name)`. None of them holds a message.
template <class... Sigs>
std::set<std::string> request_types(caf::detail::type_list<Sigs...>,
                                    const caf::uniform_type_info_map& types) {
  std::set<std::string> names{"@atom", "@str", "@strong_actor_ptr"};
  (add_inputs(static_cast<Sigs*>(nullptr), types, names), ...);
  return names;
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
      if (!small_payload())
        return "a " + op + " declaring a payload of " + std::to_string(len)
               + " bytes (two node ids and a reason take 1 to " + max_small
               + ")";
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
                           claimed_nodes& claimed, peer_destinations& dests)
  : sys_(sys),
    max_payload_(max_payload),
    claimed_(claimed),
    dests_(dests),
    request_types_(request_types(server_api::signatures{}, sys.types())) {
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
      keep_ = std::min(payload_left_, max_control_payload);
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
  if (auto why = dests_.admit(hdr_); !why.empty())
    return why;
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
      return check_down();
    case message_type::direct_message:
      if (hdr_.has(basp_header::named_receiver_flag))
        return check_node_info_query();
      return check_message_types();
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

std::string basp_checker::check_down() {
  if (auto why = check_node_pair(false); !why.empty())
    return why;
  // The reason is an error: its code, its category and its context, a
  // message whose types are checked before anything reads its values.
  caf::binary_deserializer source{sys_, kept_.data(), kept_.size()};
  caf::node_id from;
  caf::node_id to;
  uint8_t code = 0;
  caf::atom_value category;
  if (source(from, to, code, category))
    return "a down_message without a reason";
  if (auto why = check_message_header(source, "a down_message's reason");
      !why.empty())
    return why;
  // Of flat types only, and within the kept bytes (the whole payload, at
  // most max_control_payload): safe to read whole here.
  caf::binary_deserializer whole{sys_, kept_.data(), kept_.size()};
  caf::error reason;
  if (auto err = whole(from, to, reason))
    return "a down_message whose reason does not deserialize: "
           + sys_.render(err);
  if (whole.remaining() != 0)
    return "a down_message with " + std::to_string(whole.remaining())
           + " bytes after its reason";
  return {};
}

std::string basp_checker::check_message_types() {
  // The first step of BASP's read of the payload, with CAF's deserializer
  // on the bytes kept of it: the forwarding stack.
  caf::binary_deserializer source{sys_, kept_.data(), kept_.size()};
  size_t stages = 0;
  if (source.begin_sequence(stages) || stages != 0)
    return "a direct_message with a forwarding stack";
  // CAF 0.17's BASP reads a message of exactly the atom 'link' or
  // 'unlink' and an actor as a link request of that actor's proxy, to any
  // destination, before delivering anything: linked to an actor of the
  // peer's, the front door would die with it. No client sends one.
  caf::binary_deserializer peek{sys_, kept_.data(), kept_.size()};
  uint16_t zero = 1;
  std::string names;
  auto op = caf::atom("");
  if (!peek.begin_sequence(stages) && !peek.begin_object(zero, names)
      && names == "@<>+@atom+@strong_actor_ptr" && !peek(op)
      && (op == caf::atom("link") || op == caf::atom("unlink")))
    return "a direct_message asking to link an actor (CAF reads '"
           + caf::to_string(op) + "' and an actor as a link request)";
  return check_message_header(source, "a direct_message");
}

std::string basp_checker::check_node_info_query() {
  const std::string what = "a direct_message to the named receiver SpawnServ";
  if (auto why = check_message_types(); !why.empty())
    return why;
  // Of flat types only (checked above) and small: safe to read whole.
  if (hdr_.payload_len > kept_.size())
    return what + " over " + std::to_string(max_control_payload) + " bytes";
  caf::binary_deserializer source{sys_, kept_.data(), kept_.size()};
  std::vector<caf::strong_actor_ptr> stages;
  caf::message msg;
  if (source(stages, msg) || source.remaining() != 0)
    return what + " that does not deserialize";
  if (!msg.match_elements<caf::atom_value, caf::atom_value, std::string>()
      || msg.get_as<caf::atom_value>(0) != caf::atom("sys")
      || msg.get_as<caf::atom_value>(1) != caf::atom("get")
      || msg.get_as<std::string>(2) != "info")
    return what + " that is not CAF's node-info query";
  return {};
}

std::string basp_checker::check_message_header(caf::deserializer& source,
                                               const std::string& what) {
  // What caf::message::load reads first: a zero, then the element types'
  // names joined by '+' after "@<>" ("@<>" alone: an empty message).
  uint16_t zero = 1;
  std::string names;
  constexpr std::string_view empty = "@<>";
  if (source.begin_object(zero, names) || zero != 0
      || names.compare(0, empty.size(), empty) != 0)
    return what + " whose payload does not hold a message";
  if (names.size() == empty.size())
    return {};
  if (names[empty.size()] != '+')
    return what + " whose payload does not hold a message";
  size_t pos = empty.size() + 1;
  while (pos <= names.size()) {
    auto end = std::min(names.find('+', pos), names.size());
    auto name = names.substr(pos, end - pos);
    if (request_types_.count(name) == 0)
      return what + " carrying a value of type '" + name
             + "', which no request to the server holds";
    pos = end + 1;
  }
  return {};
}

} // namespace entact::detail
