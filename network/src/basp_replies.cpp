#include "basp_replies.hpp"

#include <algorithm>

#include <caf/binary_deserializer.hpp>
#include <caf/io/basp/header.hpp>
#include <caf/io/basp/message_type.hpp>
#include <caf/message_id.hpp>

namespace entact::detail {

basp_reply_counter::basp_reply_counter(caf::actor_system& sys,
                                       peer_destinations& dests)
  : sys_(sys), dests_(dests) {
  header_bytes_.reserve(caf::io::basp::header_size);
}

basp_reply_counter::result basp_reply_counter::scan(const char* data,
                                                    size_t n) {
  constexpr size_t header_size = caf::io::basp::header_size;
  result res;
  size_t pos = 0;
  while (pos < n) {
    if (payload_left_ > 0) {
      auto take = std::min(payload_left_, n - pos);
      pos += take;
      payload_left_ -= take;
      continue;
    }
    auto take = std::min(header_size - header_bytes_.size(), n - pos);
    header_bytes_.insert(header_bytes_.end(), data + pos, data + pos + take);
    pos += take;
    if (header_bytes_.size() < header_size)
      continue;
    caf::io::basp::header hdr;
    caf::binary_deserializer source{sys_, header_bytes_.data(), header_size};
    header_bytes_.clear();
    if (source(hdr))
      continue; // cannot happen for BASP's own header; count nothing
    payload_left_ = hdr.payload_len;
    dests_.learn(hdr);
    if (hdr.operation == caf::io::basp::message_type::direct_message
        && (hdr.operation_data & caf::message_id::response_flag_mask) != 0) {
      ++res.responses;
      res.bytes += header_size + hdr.payload_len;
    }
  }
  return res;
}

} // namespace entact::detail
