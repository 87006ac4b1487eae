// What the frame guard lets through to CAF 0.17's BASP broker (issue 9,
// "Trust no byte"): every header field, the handshake order of each
// connection, and the handshake's node id, checked before BASP sees a
// frame. The crashes first, each the input that killed entactd before the
// guard checked it; then the rules, one named case each; then a seeded
// fuzz loop. Everything runs against a real entactd; every wait is bounded.

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/error.hpp>
#include <caf/io/middleman.hpp>
#include <caf/message.hpp>

#include "entact/client.hpp"
#include "support/basp_frames.hpp"
#include "support/print.hpp"
#include "support/raw_conn.hpp"
#include "support/remote_client.hpp"
#include "support/server_process.hpp"

using namespace entact;
using namespace entact::test;
using namespace std::chrono_literals;

namespace {

using bytes = std::vector<uint8_t>;

/// A node id no other connection of this test claims.
caf::node_id next_node() {
  static uint32_t pid = 1;
  return fake_node(pid++);
}

/// What a peer sends, given the server's handshake.
using script = std::function<bytes(const server_hello&)>;

/// entactd with a client that worked before any abuse.
struct guarded_server {
  test::server_process server;
  std::unique_ptr<client> db = connect_or_throw(server.port(), 10s);
  uint64_t writes = 0;

  guarded_server() {
    if (!db->create("kept", "0"))
      throw std::runtime_error("cannot create the kept entity");
  }

  /// Sends what `make` makes on a fresh connection after reading the
  /// server's handshake; true if the server closed it within 3 s.
  bool closes(const script& make) {
    raw_conn c{server.port()};
    auto hello = read_server_handshake(c);
    if (!hello.node)
      throw std::runtime_error("no server handshake");
    c.send(make(hello));
    return c.drain_until_closed(3s);
  }

  /// entactd is alive, and its old client and a new one are served.
  bool still_serving() {
    if (!server.running())
      return false;
    if (!db->update("kept", writes + 1, std::to_string(writes + 1)))
      return false;
    ++writes;
    client_options opts;
    opts.port = server.port();
    opts.request_timeout = 10s;
    auto fresh = client::connect(opts);
    if (!fresh)
      return false;
    auto r = (*fresh)->read("kept");
    return r && r->value == std::to_string(writes);
  }
};

bytes hs(const caf::node_id& node, uint8_t flags = 0) {
  return client_handshake(node, flags);
}

bytes heartbeat() {
  return basp_header(basp_heartbeat, 0, 0);
}

bytes message_to(uint64_t actor, uint8_t flags = 0) {
  return basp_frame(basp_direct_message, request_payload(40), 0, 0, actor,
                    flags);
}

bytes monitor(const caf::node_id& from, const caf::node_id& to,
              uint64_t actor) {
  return basp_frame(basp_monitor_message, serialized(from, to), 0, 0, actor);
}

bytes down(const caf::node_id& from, const caf::node_id& to) {
  // The error CAF writes for a plain exit: code 0, no category.
  return basp_frame(basp_down_message,
                    concat(serialized(from, to),
                           serialized_in_system(caf::error{})),
                    0, 7);
}

/// `frame` with its byte `at` set to `value`.
bytes with_byte(bytes frame, size_t at, uint8_t value) {
  frame[at] = value;
  return frame;
}

/// A header with each field given, then `len` zero bytes of payload.
bytes header_with(uint8_t op, uint32_t len, uint64_t op_data, uint64_t src,
                  uint64_t dst, uint8_t flags = 0) {
  return concat(basp_header(op, len, op_data, src, dst, flags), bytes(len, 0));
}

/// The bytes of `depth` messages nested in one another (CAF 0.17's binary
/// format: a message is a zero u16 and its type names, "@<>+..." as a
/// string; an error is its code, its category atom and its context).
bytes nested_messages(size_t depth) {
  const std::string message_in_message{"\0\0\x0c@<>+@message", 15};
  const std::string empty_message{"\0\0\x03@<>", 6};
  std::string out;
  for (size_t i = 0; i < depth; ++i)
    out += message_in_message;
  out += empty_message;
  return {out.begin(), out.end()};
}

bytes nested_errors(size_t depth) {
  // Code 1 of a category whose atom value is 1, in an error's context.
  const std::string code_and_category{"\x01\0\0\0\0\0\0\0\x01", 9};
  const std::string error_in_message{"\0\0\x0a@<>+@error", 13};
  const std::string empty_message{"\0\0\x03@<>", 6};
  std::string out;
  for (size_t i = 0; i < depth; ++i)
    out += code_and_category + error_in_message;
  out += code_and_category + empty_message;
  return {out.begin(), out.end()};
}

/// How deep `payload` nests, read back by CAF itself: proof that the
/// bytes above are what CAF reads.
size_t depth_of_nested(const bytes& payload) {
  std::vector<char> buf{payload.begin(), payload.end()};
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  caf::binary_deserializer source{sys, buf};
  caf::message msg;
  if (source(msg) || source.remaining() != 0)
    return 0;
  size_t depth = 0;
  while (msg.match_elements<caf::message>()) {
    caf::message inner = msg.get_as<caf::message>(0);
    msg = std::move(inner);
    ++depth;
  }
  return depth;
}

size_t depth_of_nested_errors(const bytes& payload) {
  std::vector<char> buf{payload.begin(), payload.end()};
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  caf::binary_deserializer source{sys, buf};
  caf::error err;
  if (source(err) || source.remaining() != 0)
    return 0;
  size_t depth = 0;
  while (err.context().match_elements<caf::error>()) {
    caf::error inner = err.context().get_as<caf::error>(0);
    err = std::move(inner);
    ++depth;
  }
  return depth;
}

/// A message of one caf::config_value with variant index 58 (it has 9
/// alternatives): CAF 0.17.6's reader throws std::runtime_error ("invalid
/// type found"), and nothing in BASP catches it. Found by
/// fuzz/caf_message.cpp.
bytes broken_config_value_message() {
  const std::string header{"\0\0\x11@<>+@config_value", 20};
  return concat(bytes{header.begin(), header.end()}, bytes{58});
}

/// Deep enough to overflow any thread's stack (8 MiB here): 3 MB of
/// message, well within entactd's default frame limit.
constexpr size_t stack_overflow_depth = 200000;

} // namespace

// -- crashes: each input killed entactd before the guard checked it -----------

BOOST_AUTO_TEST_SUITE(crashes)

// CAF 0.17.6's basp::instance::handle dereferences the payload of a
// handshake without checking that there is one: a client or server
// handshake with payload length 0 is a NULL dereference on the I/O thread.
// The first is issue 9's one 32-byte frame.
BOOST_AUTO_TEST_CASE(an_empty_client_handshake) {
  guarded_server s;
  BOOST_TEST(s.closes([](auto&) { return basp_header(basp_client_handshake, 0, 0); }));
  BOOST_TEST(s.still_serving());
}

BOOST_AUTO_TEST_CASE(an_empty_server_handshake) {
  guarded_server s;
  BOOST_TEST(s.closes([](auto&) {
    return basp_header(basp_server_handshake, 0, basp_version);
  }));
  BOOST_TEST(s.still_serving());
}

BOOST_AUTO_TEST_CASE(an_empty_client_handshake_after_a_valid_one) {
  guarded_server s;
  BOOST_TEST(s.closes([](auto&) {
    return concat(hs(next_node()), basp_header(basp_client_handshake, 0, 0));
  }));
  BOOST_TEST(s.still_serving());
}

// A caf::message holds values by type name, and "@message" and "@error"
// (whose context is a message) hold messages again: CAF 0.17.6
// deserialises them recursively without a depth limit, so one frame of
// nested messages overflows the stack of the thread that reads it. Found
// by fuzz/caf_message.cpp.

BOOST_AUTO_TEST_CASE(the_nesting_is_what_caf_reads) {
  BOOST_TEST(depth_of_nested(nested_messages(3)) == 3u);
  BOOST_TEST(depth_of_nested_errors(nested_errors(3)) == 3u);
}

BOOST_AUTO_TEST_CASE(a_request_nesting_messages_deeply) {
  guarded_server s;
  BOOST_TEST(s.closes([](auto& srv) {
    // No forwarding stages, then the message; a request to the server.
    auto payload = concat(bytes{0}, nested_messages(stack_overflow_depth));
    return concat(hs(next_node()),
                  basp_frame(basp_direct_message, payload, 1, 0, srv.door));
  }));
  BOOST_TEST(s.still_serving());
}

BOOST_AUTO_TEST_CASE(a_down_message_nesting_errors_deeply) {
  guarded_server s;
  BOOST_TEST(s.closes([](auto& srv) {
    auto me = next_node();
    auto payload = concat(serialized(me, srv.node),
                          nested_errors(stack_overflow_depth));
    return concat(hs(me), basp_frame(basp_down_message, payload, 0, 7));
  }));
  BOOST_TEST(s.still_serving());
}

BOOST_AUTO_TEST_CASE(a_request_with_a_config_value_of_no_kind) {
  guarded_server s;
  BOOST_TEST(s.closes([](auto& srv) {
    auto payload = concat(bytes{0}, broken_config_value_message());
    return concat(hs(next_node()),
                  basp_frame(basp_direct_message, payload, 1, 0, srv.door));
  }));
  BOOST_TEST(s.still_serving());
}

BOOST_AUTO_TEST_CASE(a_down_message_with_a_config_value_of_no_kind) {
  guarded_server s;
  BOOST_TEST(s.closes([](auto& srv) {
    auto me = next_node();
    // The reason: code 1, a category, the context.
    auto reason = concat(bytes{1, 0, 0, 0, 0, 0, 0, 0, 1},
                         broken_config_value_message());
    return concat(hs(me), basp_frame(basp_down_message,
                                     concat(serialized(me, srv.node), reason),
                                     0, 7));
  }));
  BOOST_TEST(s.still_serving());
}

BOOST_AUTO_TEST_SUITE_END()

// -- the rules: what the guard refuses, and what it lets through --------------

BOOST_AUTO_TEST_SUITE(rules)

namespace {

/// A sequence a peer may send, or one the guard must cut off.
struct named_script {
  const char* name;
  script make;
};

const std::vector<named_script> refused{
  // Operations a client never sends, or that do not exist.
  {"a routed message",
   [](auto& srv) {
     auto me = next_node();
     return concat(hs(me), basp_frame(basp_routed_message,
                                      concat(serialized(me, srv.node),
                                             bytes(8, 0)),
                                      0, 0, srv.door));
   }},
  {"a server handshake with a payload",
   [](auto&) {
     return basp_frame(basp_server_handshake, serialized(next_node()),
                       basp_version);
   }},
  {"operation 7", [](auto&) { return header_with(7, 0, 0, 0, 0); }},
  {"operation 255", [](auto&) { return header_with(255, 8, 0, 0, 1); }},
  // Order: nothing before the client handshake, at most one repeat.
  {"a message before the handshake",
   [](auto& srv) { return message_to(srv.door); }},
  {"a heartbeat before the handshake", [](auto&) { return heartbeat(); }},
  {"a monitor message before the handshake",
   [](auto& srv) { return monitor(next_node(), srv.node, srv.door); }},
  {"a third handshake",
   [](auto&) {
     auto me = next_node();
     return concat(concat(hs(me), hs(me, basp_select_connection_flag)),
                   hs(me, basp_select_connection_flag));
   }},
  {"a repeat handshake claiming another node",
   [](auto&) {
     return concat(hs(next_node()),
                   hs(next_node(), basp_select_connection_flag));
   }},
  // The handshake's node id.
  {"a handshake claiming the server's node",
   [](auto& srv) { return hs(srv.node); }},
  {"a handshake claiming no node",
   [](auto&) { return hs(caf::node_id{}); }},
  {"a handshake claiming an invalid node",
   [](auto&) { return hs(fake_node(0, 0)); }},
  {"a handshake whose payload is garbage",
   [](auto&) {
     return basp_frame(basp_client_handshake, bytes(32, 0xff));
   }},
  {"a handshake with bytes after its node id",
   [](auto&) {
     return basp_frame(basp_client_handshake,
                       concat(serialized(next_node()), bytes(1, 0)));
   }},
  {"a handshake declaring 2 KiB",
   [](auto&) { return basp_header(basp_client_handshake, 2048, 0); }},
  // Header fields.
  {"a handshake with operation data",
   [](auto&) { return with_byte(hs(next_node()), 15, 3); }},
  {"a handshake with an unknown flag",
   [](auto&) { return hs(next_node(), 0x04); }},
  {"a handshake with padding",
   [](auto&) { return with_byte(hs(next_node()), 1, 1); }},
  {"a message to actor 0",
   [](auto&) { return concat(hs(next_node()), message_to(0)); }},
  {"a message with an unknown flag",
   [](auto& srv) { return concat(hs(next_node()), message_to(srv.door, 2)); }},
  {"a message without payload",
   [](auto& srv) {
     return concat(hs(next_node()),
                   header_with(basp_direct_message, 0, 0, 0, srv.door));
   }},
  {"a heartbeat with a payload",
   [](auto&) {
     return concat(hs(next_node()), header_with(basp_heartbeat, 8, 0, 0, 0));
   }},
  {"a down message from actor 0",
   [](auto&) {
     return concat(hs(next_node()), header_with(basp_down_message, 8, 0, 0, 0));
   }},
  // What a message carries (CAF reads nested messages without a limit).
  {"a message whose payload is not a message",
   [](auto& srv) {
     return concat(hs(next_node()), basp_frame(basp_direct_message,
                                               bytes(16, 0), 0, 0, srv.door));
   }},
  {"a message with a forwarding stack",
   [](auto& srv) {
     return concat(hs(next_node()),
                   basp_frame(basp_direct_message,
                              concat(bytes{1}, request_payload(40)), 0, 0,
                              srv.door));
   }},
  {"a message carrying a message",
   [](auto& srv) {
     return concat(hs(next_node()),
                   basp_frame(basp_direct_message,
                              concat(bytes{0}, nested_messages(1)), 0, 0,
                              srv.door));
   }},
  {"a down message over 1 KiB",
   [](auto& srv) {
     auto me = next_node();
     return concat(hs(me),
                   basp_frame(basp_down_message,
                              concat(serialized(me, srv.node),
                                     nested_errors(100)),
                              0, 7));
   }},
  {"a down message whose reason holds an error",
   [](auto& srv) {
     auto me = next_node();
     return concat(hs(me), basp_frame(basp_down_message,
                                      concat(serialized(me, srv.node),
                                             nested_errors(1)),
                                      0, 7));
   }},
  {"a down message whose reason is cut short",
   [](auto& srv) {
     auto me = next_node();
     return concat(hs(me), basp_frame(basp_down_message,
                                      concat(serialized(me, srv.node),
                                             serialized(caf::error{})),
                                      0, 7));
   }},
  // Node ids in monitor and down messages.
  {"a monitor message on behalf of another node",
   [](auto& srv) {
     return concat(hs(next_node()), monitor(next_node(), srv.node, srv.door));
   }},
  {"a monitor message for another node",
   [](auto& srv) {
     auto me = next_node();
     return concat(hs(me), monitor(me, next_node(), srv.door));
   }},
  {"a down message on behalf of another node",
   [](auto& srv) {
     return concat(hs(next_node()), down(next_node(), srv.node));
   }},
  // Destinations: only the front door (see test_remote_frame_destinations).
  {"a message to an actor that does not exist",
   [](auto&) { return concat(hs(next_node()), message_to(999999)); }},
  {"a message to a named receiver",
   [](auto&) { return concat(hs(next_node()), message_to(1, 1)); }},
  {"a monitor message for an actor that sent the peer nothing",
   [](auto& srv) {
     auto me = next_node();
     return concat(hs(me), monitor(me, srv.node, srv.door + 1));
   }},
};

const std::vector<named_script> accepted{
  {"a handshake",
   [](auto&) { return hs(next_node()); }},
  {"a handshake, its repeat, heartbeats, a monitor and a down message",
   [](auto& srv) {
     auto me = next_node();
     auto frames = concat(hs(me), hs(me, basp_select_connection_flag));
     frames = concat(frames, concat(heartbeat(), heartbeat()));
     frames = concat(frames, monitor(me, srv.node, srv.door));
     return concat(frames, down(me, srv.node));
   }},
};

} // namespace

BOOST_AUTO_TEST_CASE(the_guard_cuts_off_what_a_client_never_sends) {
  guarded_server s;
  for (auto& x : refused) {
    BOOST_TEST(s.closes(x.make), "not cut off: " << x.name);
    BOOST_TEST(s.server.running(), "entactd died after: " << x.name);
  }
  BOOST_TEST(s.still_serving());
}

BOOST_AUTO_TEST_CASE(the_guard_lets_a_well_formed_peer_through) {
  guarded_server s;
  for (auto& x : accepted) {
    raw_conn c{s.server.port()};
    auto hello = read_server_handshake(c);
    BOOST_REQUIRE(hello.node);
    c.send(x.make(hello));
    // Cut off, it would be within milliseconds.
    BOOST_TEST(!c.drain_until_closed(300ms), "cut off: " << x.name);
  }
  BOOST_TEST(s.still_serving());
}

BOOST_AUTO_TEST_CASE(two_live_connections_never_claim_one_node) {
  guarded_server s;
  auto me = next_node();
  raw_conn first{s.server.port()};
  BOOST_REQUIRE(read_server_handshake(first).node);
  first.send(hs(me));
  BOOST_TEST(!first.drain_until_closed(300ms));
  // Claimed while the first is open: refused, also as a repeat with the
  // select-connection flag (that would steal the first one's replies).
  BOOST_TEST(s.closes([&](auto&) { return hs(me); }));
  BOOST_TEST(s.closes([&](auto&) {
    return concat(hs(next_node()), hs(me, basp_select_connection_flag));
  }));
  // Once the first has closed, the node id is free again.
  first.close();
  BOOST_TEST(wait_until(
    [&] {
      raw_conn again{s.server.port()};
      if (!read_server_handshake(again).node)
        return false;
      again.send(hs(me));
      return !again.drain_until_closed(300ms);
    },
    10s, 50ms));
  BOOST_TEST(s.still_serving());
}

// CAF 0.17.6 numbers a process's actor systems in one byte of their node
// id: the 256th system after a client's has that client's node id. A new
// client given the node id of a live one would be refused by the rule
// above; it makes its system again instead.
BOOST_AUTO_TEST_CASE(a_client_never_takes_the_node_id_of_a_live_one) {
  guarded_server s; // s.db: a live client of the server
  for (int i = 0; i < 255; ++i) {
    caf::actor_system_config cfg;
    cfg.load<caf::io::middleman>();
    caf::actor_system sys{cfg};
    BOOST_REQUIRE(sys.node() != s.db->system().node());
  }
  auto next = entact::connect({"127.0.0.1", s.server.port(), 10s});
  BOOST_REQUIRE_MESSAGE(next, (next ? "" : to_string(next.error())));
  BOOST_TEST(to_string((*next)->system().node())
             != to_string(s.db->system().node()));
  BOOST_TEST((*next)->get("kept").engaged());
  BOOST_TEST(s.db->get("kept").engaged());
}

BOOST_AUTO_TEST_SUITE_END()

// -- fuzzing: many malformed frames and sequences, then a client is served ----

BOOST_AUTO_TEST_SUITE(fuzz)

namespace {

/// Makes random frames, most of them almost right: random operation bytes,
/// zero and odd payload lengths for each operation, payloads shorter or
/// longer than declared, handshakes out of order, repeated or claiming
/// nodes that are not the peer's (a few node ids shared by all
/// connections), messages before any handshake.
class frame_maker {
public:
  explicit frame_maker(uint32_t seed) : rng_(seed) {
    for (uint32_t i = 0; i < 4; ++i)
      nodes_.push_back(fake_node(100000 + i, static_cast<uint8_t>(i + 1)));
  }

  /// One to five frames, sometimes cut short.
  bytes sequence(const server_hello& srv) {
    bytes out;
    for (auto n = pick(1, 5); n > 0; --n)
      out = concat(out, frame(srv));
    if (pick(0, 3) == 0)
      out.resize(pick(0, out.size()));
    return out;
  }

  size_t pick(size_t lo, size_t hi) {
    return std::uniform_int_distribution<size_t>{lo, hi}(rng_);
  }

private:
  bytes frame(const server_hello& srv) {
    auto node = [&]() -> caf::node_id {
      return pick(0, 4) == 0 ? srv.node : nodes_[pick(0, nodes_.size() - 1)];
    };
    auto actor = [&]() -> uint64_t {
      static const uint64_t ids[] = {0, 1, 7, 0xffffffffffffffff};
      return pick(0, 4) == 0 ? srv.door : ids[pick(0, 3)];
    };
    static const uint32_t lengths[] = {0, 1, 3, 8, 31, 32, 33, 64, 65};
    auto len = lengths[pick(0, 8)];
    switch (pick(0, 10)) {
      case 0:
        return hs(node(), pick(0, 1) ? basp_select_connection_flag : 0);
      case 1: // any operation byte, any fields, a payload of another length
        return concat(basp_header(static_cast<uint8_t>(pick(0, 255)), len,
                                  pick(0, 3), actor(), actor(),
                                  static_cast<uint8_t>(pick(0, 3))),
                      random_bytes(rng_, lengths[pick(0, 8)]));
      case 2: // each operation with an odd or zero length
        return concat(basp_header(static_cast<uint8_t>(pick(0, 6)), len,
                                  pick(0, 1) ? basp_version : 0, actor(),
                                  actor(), static_cast<uint8_t>(pick(0, 2))),
                      random_bytes(rng_, len));
      case 3:
        return monitor(node(), node(), actor());
      case 4:
        return down(node(), node());
      case 5:
        return basp_frame(basp_direct_message, random_bytes(rng_, len + 1),
                          pick(0, 2) == 0 ? uint64_t{1} << 63 : pick(0, 1), actor(),
                          actor(), static_cast<uint8_t>(pick(0, 1)));
      case 6:
        return heartbeat();
      case 7:
        return basp_frame(basp_routed_message,
                          concat(serialized(node(), node()),
                                 random_bytes(rng_, len)),
                          0, actor(), actor());
      case 8:
        return basp_frame(basp_server_handshake,
                          concat(serialized(node()), random_bytes(rng_, len)),
                          basp_version);
      case 9:
        return basp_frame(basp_client_handshake, random_bytes(rng_, len + 1));
      default:
        return random_bytes(rng_, len + 1);
    }
  }

  std::mt19937 rng_;
  std::vector<caf::node_id> nodes_;
};

} // namespace

BOOST_AUTO_TEST_CASE(random_frames_never_take_the_server_down) {
  guarded_server s;
  constexpr uint32_t seed = 9;
  frame_maker make{seed};
  auto deadline = std::chrono::steady_clock::now() + 4s;
  size_t rounds = 0;
  size_t sequences = 0;
  while (std::chrono::steady_clock::now() < deadline && rounds < 2000) {
    ++rounds;
    // A few connections at once, so that they can claim the same nodes.
    std::vector<std::unique_ptr<raw_conn>> conns;
    for (auto n = make.pick(1, 3); n > 0; --n) {
      auto c = std::make_unique<raw_conn>(s.server.port());
      auto hello = read_server_handshake(*c);
      BOOST_REQUIRE_MESSAGE(hello.node, "no server handshake in round "
                                          << rounds << " (seed " << seed
                                          << "), entactd "
                                          << (s.server.running() ? "alive"
                                                                 : "dead"));
      c->send(make.sequence(hello));
      ++sequences;
      conns.push_back(std::move(c));
    }
    for (auto& c : conns)
      if (make.pick(0, 1) == 0)
        c->reset();
    conns.clear();
    BOOST_REQUIRE_MESSAGE(s.server.running(), "entactd died in round "
                                                << rounds << " (seed "
                                                << seed << ")");
  }
  BOOST_TEST_MESSAGE(sequences << " random sequences on " << rounds
                               << " rounds of connections");
  BOOST_TEST(s.still_serving());
}

BOOST_AUTO_TEST_SUITE_END()
