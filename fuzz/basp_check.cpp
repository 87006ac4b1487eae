// Fuzz target: the frame guard's BASP checker (network/src/basp_check.*).
//
// Input: [cuts:u8][cuts x offset:u16 little-endian][stream]. The stream is
// what a peer sends; it reaches the checker in chunks split at the offsets
// (mod the stream's length), so partial headers and frames are exercised.
// Asserted, besides "no crash":
// - each `scan` completes at most the bytes it was given, and the stream's
//   completed prefix only grows;
// - the verdict does not depend on the chunking: the same stream in one
//   chunk gives the same refusal (or none) and the same completed prefix;
// - every frame of the accepted prefix is one a CAF client may send (the
//   rules restated independently: a client handshake first with a
//   payload, no server handshake or routed message, BASP's own validity,
//   the payload limit), and CAF reads each accepted message's payload
//   without a crash, finding no forwarding stack and nothing that nests;
// - a checker's claim on its node id ends with it.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <caf/actor_control_block.hpp>
#include <caf/actor_system.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/io/basp/header.hpp>
#include <caf/io/basp/message_type.hpp>
#include <caf/message.hpp>

#include "basp_check.hpp"
#include "entact/register_types.hpp"

namespace {

using entact::detail::basp_checker;
using entact::detail::claimed_nodes;
using caf::io::basp::message_type;

constexpr size_t max_payload = 2048;

/// The front door's actor id for the checker; with no frames of the
/// server's learnt, the only actor an accepted message may name.
constexpr uint64_t front_door = 1;

/// One actor system for the whole run, never destroyed: CAF 0.17's
/// actor_system crashes when it is torn down among the exit handlers.
caf::actor_system& fuzz_system() {
  static auto* sys = new caf::actor_system{*new entact::config};
  return *sys;
}

[[noreturn]] void fail(const char* what) {
  fprintf(stderr, "fuzz_basp_check: %s\n", what);
  abort();
}

struct verdict {
  size_t completed = 0; // stream bytes up to the end of the last accepted frame
  std::string refusal;
};

/// Feeds `stream` to a fresh checker in chunks ending at `cuts` (sorted,
/// each <= the stream's size), stopping at the first refusal.
verdict feed(const std::vector<char>& stream, const std::vector<size_t>& cuts) {
  claimed_nodes claimed;
  verdict out;
  {
    entact::detail::peer_destinations dests{front_door};
    basp_checker checker{fuzz_system(), max_payload, claimed, dests};
    size_t begin = 0;
    for (size_t i = 0; i <= cuts.size() && out.refusal.empty(); ++i) {
      size_t end = i < cuts.size() ? cuts[i] : stream.size();
      auto res = checker.scan(stream.data() + begin, end - begin);
      if (res.complete > end - begin)
        fail("scan completed more bytes than it was given");
      if (res.complete > 0) {
        if (begin + res.complete < out.completed)
          fail("the completed prefix shrank");
        out.completed = begin + res.complete;
      }
      out.refusal = res.refusal;
      begin = end;
    }
  }
  if (!claimed.empty())
    fail("a node id stayed claimed after its checker ended");
  return out;
}

/// Reads an accepted direct message's payload as BASP does: it has no
/// forwarding stack, and what CAF reads of it holds no message (nor an
/// error, whose context is one) that could nest.
void check_accepted_message(const char* payload, size_t size) {
  caf::binary_deserializer source{fuzz_system(), payload, size};
  std::vector<caf::strong_actor_ptr> stages;
  caf::message msg;
  if (source(stages, msg))
    return; // CAF drops it
  if (!stages.empty())
    fail("an accepted message has a forwarding stack");
  for (size_t i = 0; i < msg.size(); ++i)
    if (msg.match_element<caf::message>(i) || msg.match_element<caf::error>(i))
      fail("an accepted message holds a message or an error");
}

/// Walks the frames of an accepted prefix and checks each against the
/// rules every accepted frame obeys.
void check_accepted(const std::vector<char>& stream, size_t completed) {
  auto& sys = fuzz_system();
  size_t pos = 0;
  bool first = true;
  while (pos < completed) {
    if (completed - pos < basp_checker::header_size)
      fail("an accepted prefix ends inside a header");
    caf::binary_deserializer source{sys, stream.data() + pos,
                                    basp_checker::header_size};
    caf::io::basp::header hdr;
    if (source(hdr))
      fail("an accepted header does not deserialize");
    if (!caf::io::basp::valid(hdr))
      fail("an accepted header is not valid BASP");
    if (hdr.payload_len > max_payload)
      fail("an accepted frame is over the payload limit");
    auto op = hdr.operation;
    if (first && op != message_type::client_handshake)
      fail("an accepted stream does not start with a client handshake");
    if (op == message_type::server_handshake
        || op == message_type::routed_message)
      fail("an accepted frame has an operation a client never sends");
    if (op == message_type::client_handshake && hdr.payload_len == 0)
      fail("an accepted client handshake has no payload");
    if (op == message_type::direct_message
        && (hdr.has(caf::io::basp::header::named_receiver_flag)
              ? hdr.dest_actor
                  != entact::detail::peer_destinations::spawn_server_name()
              : hdr.dest_actor != front_door))
      fail("an accepted message names an actor other than the front door "
           "or SpawnServ");
    if (op == message_type::direct_message)
      check_accepted_message(stream.data() + pos + basp_checker::header_size,
                             hdr.payload_len);
    pos += basp_checker::header_size + hdr.payload_len;
    first = false;
  }
  if (pos != completed)
    fail("an accepted prefix ends inside a payload");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0)
    return 0;
  size_t ncuts = data[0] % 8;
  size_t head = 1 + 2 * ncuts;
  if (size < head)
    return 0;
  std::vector<char> stream(data + head, data + size);
  std::vector<size_t> cuts;
  for (size_t i = 0; i < ncuts; ++i) {
    size_t off = data[1 + 2 * i] | (size_t{data[2 + 2 * i]} << 8);
    cuts.push_back(stream.empty() ? 0 : off % (stream.size() + 1));
  }
  std::sort(cuts.begin(), cuts.end());
  auto chunked = feed(stream, cuts);
  auto whole = feed(stream, {});
  if (chunked.refusal != whole.refusal)
    fail("the refusal depends on how the stream is chunked");
  if (chunked.completed != whole.completed)
    fail("the completed prefix depends on how the stream is chunked");
  if (whole.completed > stream.size())
    fail("completed more bytes than the stream holds");
  check_accepted(stream, whole.completed);
  return 0;
}
