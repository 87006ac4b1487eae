#include "basp_destinations.hpp"

#include <algorithm>

#include <caf/atom.hpp>
#include <caf/io/basp/message_type.hpp>
#include <caf/message_id.hpp>

namespace entact::detail {

namespace {

using caf::io::basp::message_type;
using basp_header = caf::io::basp::header;

caf::message_id id_of(const basp_header& hdr) {
  return caf::make_message_id(hdr.operation_data);
}

bool one_way(caf::message_id mid) {
  return !mid.is_request() && !mid.is_response();
}

} // namespace

peer_destinations::peer_destinations(caf::actor_id door) : door_(door) {
  // nop
}

uint64_t peer_destinations::spawn_server_name() {
  return static_cast<uint64_t>(caf::atom("SpawnServ"));
}

void peer_destinations::learn(const basp_header& hdr) {
  if (hdr.operation != message_type::direct_message || hdr.source_actor == 0)
    return;
  auto src = hdr.source_actor;
  senders_[src] = ++clock_;
  seen_.emplace_back(src, clock_);
  if (seen_.size() > capacity) {
    auto [actor, when] = seen_.front();
    seen_.pop_front();
    if (auto i = senders_.find(actor); i != senders_.end() && i->second == when)
      senders_.erase(i);
  }
  auto mid = id_of(hdr);
  if (mid.is_response())
    return; // answers the peer's request: nothing to answer
  auto key = mid.is_request() ? mid.request_id().integer_value() : 0;
  replies_.push_back({src, key});
  if (replies_.size() > capacity)
    replies_.pop_front();
}

std::string peer_destinations::admit(const basp_header& hdr) {
  switch (hdr.operation) {
    case message_type::direct_message:
      return admit_direct(hdr);
    case message_type::monitor_message:
      return admit_monitor(hdr);
    default:
      return {};
  }
}

std::string peer_destinations::admit_direct(const basp_header& hdr) {
  auto mid = id_of(hdr);
  auto dest = hdr.dest_actor;
  if (hdr.has(basp_header::named_receiver_flag)) {
    if (dest != spawn_server_name())
      return "a direct_message to a named receiver other than SpawnServ";
    if (!one_way(mid))
      return "a request or response to the named receiver SpawnServ";
    if (asked_node_info_)
      return "a second direct_message to the named receiver SpawnServ";
    asked_node_info_ = true;
    return {};
  }
  if (!mid.is_response() && dest == door_)
    return {};
  auto key = mid.is_response() ? mid.request_id().integer_value() : 0;
  auto matches = [&](const reply_slot& x) {
    return x.actor == dest && x.key == key;
  };
  if (mid.is_request())
    return "a request to actor " + std::to_string(dest)
           + ", which is not the front door";
  if (mid.is_response() && key == 0)
    return "a response without a request id";
  auto i = std::find_if(replies_.begin(), replies_.end(), matches);
  if (i == replies_.end())
    return mid.is_response()
             ? "a response to actor " + std::to_string(dest)
                 + " that it never asked this peer for"
             : "a direct_message to actor " + std::to_string(dest)
                 + ", which is not the front door and awaits no answer "
                   "from this peer";
  replies_.erase(i);
  return {};
}

std::string peer_destinations::admit_monitor(const basp_header& hdr) {
  if (hdr.dest_actor == door_ || senders_.count(hdr.dest_actor) > 0)
    return {};
  return "a monitor_message for actor " + std::to_string(hdr.dest_actor)
         + ", which is not the front door and sent this peer nothing";
}

} // namespace entact::detail
