// Which of the server's actors a peer may address through the frame guard
// (issue 9, "Trust no byte"): actor ids are small sequential integers, so
// a peer could name the coordinator, the router, entity actors or CAF's
// own named receivers. The guard lets a peer's messages name only the
// front door, CAF's one node-info query to SpawnServ, and replies to what
// the server sent that peer; everything else closes the connection with a
// logged reason. Raw BASP peers against a real entactd (and an embedded
// `serve` for the log lines); a real client keeps working throughout.

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <caf/atom.hpp>
#include <caf/io/middleman.hpp>
#include <caf/make_message.hpp>

#include "entact/client.hpp"
#include "entact/engine.hpp"
#include "entact/serve.hpp"
#include "support/basp_frames.hpp"
#include "support/print.hpp"
#include "support/raw_conn.hpp"
#include "support/remote_client.hpp"
#include "support/server_process.hpp"
#include "support/temp_dir.hpp"
#include "support/wait_until.hpp"

using namespace entact;
using namespace entact::test;
using namespace std::chrono_literals;

namespace {

using bytes = std::vector<uint8_t>;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// An embedded engine whose actor system can network, on a fresh directory.
std::unique_ptr<engine> open_networked(const temp_dir& dir) {
  auto cfg = std::make_unique<entact::config>();
  cfg->load<caf::io::middleman>();
  engine_options opts;
  opts.path = dir.sub("db");
  opts.sync = false;
  auto eng = engine::open(opts, std::move(cfg));
  if (!eng)
    throw std::runtime_error("open failed: " + to_string(eng.error()));
  return std::move(*eng);
}

constexpr uint8_t named_receiver_flag = 0x01;
constexpr uint64_t response_flag = 0x8000000000000000;
constexpr uint64_t request_id_mask = 0x0FFFFFFFFFFFFFFF;
constexpr uint64_t one_way_id = 0x1000000000000000; // CAF's async id
constexpr uint64_t peer_actor = 5; // the peer's actor that sends requests

caf::node_id next_node() {
  static uint32_t pid = 1;
  return fake_node(pid++, 0x6d);
}

uint64_t get_be64(const bytes& in, size_t pos) {
  uint64_t x = 0;
  for (size_t i = pos; i < pos + 8; ++i)
    x = (x << 8) | in[i];
  return x;
}

/// The fields of a frame header the server sent.
struct head {
  uint8_t op = 0;
  uint8_t flags = 0;
  uint64_t message_id = 0;
  uint64_t source = 0;
  uint64_t dest = 0;
};

/// Reads the server's frames until one satisfies `wanted` (returned), or
/// none arrives for a second.
std::optional<head> await_frame(raw_conn& c,
                                const std::function<bool(const head&)>& wanted) {
  bytes hdr;
  bytes payload;
  while (c.recv_exact(hdr, basp_header_size)
         && c.recv_exact(payload, get_be32(hdr, 4))) {
    head h{hdr[0], hdr[3], get_be64(hdr, 8), get_be64(hdr, 16),
           get_be64(hdr, 24)};
    if (wanted(h))
      return h;
  }
  return std::nullopt;
}

/// A direct message carrying a get (any types a request holds would do).
bytes message(uint64_t message_id, uint64_t dest, uint8_t flags = 0) {
  return basp_frame(basp_direct_message, request_payload(40), message_id,
                    peer_actor, dest, flags);
}

/// CAF's node-info query as a CAF client sends it after the handshake.
bytes node_info_query(uint64_t message_id = one_way_id) {
  auto payload = serialized_in_system(
    std::vector<caf::strong_actor_ptr>{},
    caf::make_message(caf::atom("sys"), caf::atom("get"),
                      std::string("info")));
  return basp_frame(basp_direct_message, payload, message_id, 7,
                    static_cast<uint64_t>(caf::atom("SpawnServ")),
                    named_receiver_flag);
}

bytes monitor(const caf::node_id& me, const caf::node_id& server,
              uint64_t actor) {
  return basp_frame(basp_monitor_message, serialized(me, server), 0, 0, actor);
}

/// A raw BASP peer after its handshake, with what the server told it.
struct peer {
  raw_conn conn;
  caf::node_id me = next_node();
  server_hello hello;
  /// The server's own node-info query to this peer: its sender.
  uint64_t query_sender = 0;

  explicit peer(uint16_t port) : conn(port) {
    hello = read_server_handshake(conn);
    if (!hello.node || !conn.send(client_handshake(me)))
      throw std::runtime_error("no BASP handshake with entactd");
    auto query = await_frame(conn, [](const head& h) {
      return h.op == basp_direct_message && (h.flags & named_receiver_flag);
    });
    if (!query)
      throw std::runtime_error("no node-info query from entactd");
    query_sender = query->source;
  }

  /// Sends a get to the front door and returns the actor that answered.
  uint64_t responder(uint64_t request_id) {
    conn.send(message(request_id, hello.door));
    auto answer = await_frame(conn, [&](const head& h) {
      return h.op == basp_direct_message && h.dest == peer_actor
             && (h.message_id & response_flag) != 0
             && (h.message_id & request_id_mask) == request_id;
    });
    if (!answer)
      throw std::runtime_error("no answer from the front door");
    return answer->source;
  }

  /// True if the server closes the connection within 3 s.
  bool cut_off() {
    return conn.drain_until_closed(3s);
  }
};

/// entactd with a client that works before, during and after the abuse.
struct guarded_server {
  test::server_process server;
  std::unique_ptr<client> db = connect_or_throw(server.port(), 10s);
  uint64_t writes = 0;

  guarded_server() {
    if (!db->create("kept", "0"))
      throw std::runtime_error("cannot create the kept entity");
  }

  bool still_serving() {
    if (!server.running())
      return false;
    if (!db->update("kept", writes + 1, std::to_string(writes + 1)))
      return false;
    ++writes;
    auto fresh = connect_or_throw(server.port(), 10s);
    auto r = fresh->read("kept");
    return r && r->value == std::to_string(writes);
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(entactd_destinations)

BOOST_AUTO_TEST_CASE(a_request_to_an_actor_behind_the_front_door_is_refused) {
  guarded_server s;
  auto port = s.server.port();
  // The entity actor that answered a get: addressed directly, it would
  // answer too (and so would the coordinator and the router, whose ids lie
  // around the front door's).
  {
    peer p{port};
    auto entity = p.responder(1);
    BOOST_TEST(entity != p.hello.door);
    p.conn.send(message(2, entity));
    BOOST_TEST(p.cut_off(), "a request to entity actor " << entity);
  }
  {
    peer p{port};
    auto entity = p.responder(1);
    p.conn.send(message(one_way_id, entity));
    BOOST_TEST(p.cut_off(), "a one-way message to entity actor " << entity);
  }
  uint64_t door = peer{port}.hello.door;
  for (uint64_t id = 1; id <= door + 16; ++id) {
    if (id == door)
      continue;
    peer p{port};
    p.conn.send(message(1, id));
    BOOST_TEST(p.cut_off(), "a request to actor " << id);
  }
  BOOST_TEST(s.still_serving());
}

BOOST_AUTO_TEST_CASE(named_receivers_get_only_the_node_info_query) {
  guarded_server s;
  auto port = s.server.port();
  {
    // What CAF's client sends: answered (by SpawnServ, to actor 7).
    peer p{port};
    p.conn.send(node_info_query());
    BOOST_TEST(await_message_to(p.conn, 7));
    BOOST_TEST(!p.conn.drain_until_closed(300ms));
    // Once per connection.
    p.conn.send(node_info_query());
    BOOST_TEST(p.cut_off());
  }
  std::vector<std::pair<std::string, bytes>> refused{
    {"a request to SpawnServ", node_info_query(1)},
    {"a get to SpawnServ",
     message(one_way_id, static_cast<uint64_t>(caf::atom("SpawnServ")),
             named_receiver_flag)},
    {"a request to ConfigServ",
     message(1, static_cast<uint64_t>(caf::atom("ConfigServ")),
             named_receiver_flag)},
  };
  for (auto& [what, frame] : refused) {
    peer p{port};
    p.conn.send(frame);
    BOOST_TEST(p.cut_off(), what);
  }
  BOOST_TEST(s.still_serving());
}

BOOST_AUTO_TEST_CASE(only_what_the_server_sent_may_be_answered) {
  guarded_server s;
  auto port = s.server.port();
  {
    // The server's node-info query may be answered once, one way, as
    // CAF's SpawnServ does, and its sender monitored.
    peer p{port};
    p.conn.send(concat(message(one_way_id, p.query_sender),
                       monitor(p.me, p.hello.node, p.query_sender)));
    BOOST_TEST(!p.conn.drain_until_closed(300ms));
    p.conn.send(message(one_way_id, p.query_sender));
    BOOST_TEST(p.cut_off(), "a second answer to the node-info query");
  }
  {
    peer p{port};
    p.conn.send(message(1 | response_flag, p.query_sender));
    BOOST_TEST(p.cut_off(), "a response to a one-way message");
  }
  {
    peer p{port};
    p.conn.send(message(1 | response_flag, p.hello.door));
    BOOST_TEST(p.cut_off(), "a response to the front door");
  }
  {
    // An entity actor that answered may be monitored, not sent responses.
    peer p{port};
    auto entity = p.responder(1);
    p.conn.send(monitor(p.me, p.hello.node, entity));
    BOOST_TEST(!p.conn.drain_until_closed(300ms));
    p.conn.send(message(1 | response_flag, entity));
    BOOST_TEST(p.cut_off(), "a response nobody asked for");
  }
  {
    peer p{port};
    p.conn.send(monitor(p.me, p.hello.node, p.hello.door + 1));
    BOOST_TEST(p.cut_off(), "a monitor for an actor that sent nothing");
  }
  BOOST_TEST(s.still_serving());
}

BOOST_AUTO_TEST_CASE(a_real_client_uses_every_call_through_the_guard) {
  guarded_server s;
  database& db = *s.db;
  BOOST_TEST(code(db.create("d/1", "1")) == errc::none);
  BOOST_TEST(code(db.update("d/1", 1, "2")) == errc::none);
  BOOST_TEST(code(db.write_unconditionally("d/2", "x")) == errc::none);
  BOOST_TEST(code(db.create("d/3", "5")) == errc::none);
  BOOST_TEST(db.modify("d/3", "add", "5")->value == "10");
  BOOST_TEST(db.read("d/1")->value == "2");
  auto many = db.read_many({"d/1", "d/2", "d/3"});
  BOOST_REQUIRE(many);
  BOOST_TEST(many->size() == 3u);
  auto txn = db.transact({"d/1", "d/2"}, [](transaction& t) -> caf::error {
    auto one = t.get("d/1");
    if (!one)
      return one.error();
    return t.put("d/2", one->value + "!");
  });
  BOOST_TEST(code(txn) == errc::none);
  BOOST_TEST(db.read("d/2")->value == "2!");
  BOOST_TEST(code(db.erase("d/1", 2)) == errc::none);
  BOOST_TEST(code(db.read("d/1")) == errc::not_found);
  BOOST_TEST(static_cast<bool>(s.db->stats()));
  BOOST_TEST(s.still_serving());
}

BOOST_AUTO_TEST_CASE(a_peer_cannot_link_the_front_door_to_its_actor) {
  // CAF 0.17 reads an (atom, actor) message to any actor as a link request
  // from that actor's proxy before delivering anything: linked to the
  // peer's actor, the front door would die with it (when the peer
  // disconnects, BASP kills the proxies of its node), and entactd would
  // answer no one again.
  guarded_server s;
  for (auto op : {caf::atom("link"), caf::atom("unlink")}) {
    peer p{s.server.port()};
    auto payload = serialized_in_system(
      std::vector<caf::strong_actor_ptr>{}, uint16_t{0},
      std::string("@<>+@atom+@strong_actor_ptr"), op,
      uint64_t{peer_actor}, p.me);
    p.conn.send(basp_frame(basp_direct_message, payload, one_way_id,
                           peer_actor, p.hello.door));
    BOOST_TEST(p.cut_off(), to_string(op));
  }
  {
    // Another atom with an actor is a message like any other.
    peer p{s.server.port()};
    auto payload = serialized_in_system(
      std::vector<caf::strong_actor_ptr>{}, uint16_t{0},
      std::string("@<>+@atom+@strong_actor_ptr"), caf::atom("e_get"),
      uint64_t{peer_actor}, p.me);
    p.conn.send(basp_frame(basp_direct_message, payload, one_way_id,
                           peer_actor, p.hello.door));
    BOOST_TEST(!p.conn.drain_until_closed(300ms));
  }
  BOOST_TEST(s.still_serving());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(serve_destinations)

BOOST_AUTO_TEST_CASE(a_refused_destination_is_logged_with_its_reason) {
  temp_dir dir;
  auto eng = open_networked(dir);
  std::mutex mtx;
  std::vector<std::string> lines;
  serve_options so;
  so.log = [&](const std::string& line) {
    std::lock_guard<std::mutex> guard{mtx};
    lines.push_back(line);
  };
  auto srv = serve(*eng, so);
  BOOST_REQUIRE(srv);
  auto port = (*srv)->port();
  uint64_t entity = 0;
  {
    peer p{port};
    entity = p.responder(1);
    p.conn.send(message(2, entity));
    BOOST_TEST(p.cut_off());
  }
  {
    peer p{port};
    p.conn.send(node_info_query(1));
    BOOST_TEST(p.cut_off());
  }
  {
    peer p{port};
    p.conn.send(message(9 | response_flag, p.query_sender));
    BOOST_TEST(p.cut_off());
  }
  auto logged = [&] {
    std::lock_guard<std::mutex> guard{mtx};
    return lines.size() >= 3;
  };
  BOOST_REQUIRE(wait_until(logged, 5s));
  std::lock_guard<std::mutex> guard{mtx};
  for (auto& line : lines)
    BOOST_TEST_MESSAGE("logged: " << line);
  BOOST_TEST(contains(lines[0], "a request to actor " + std::to_string(entity)
                                  + ", which is not the front door"));
  BOOST_TEST(contains(lines[1], "named receiver SpawnServ"));
  BOOST_TEST(contains(lines[2], "that it never asked this peer for"));
  (*srv)->stop();
  eng->close();
}

BOOST_AUTO_TEST_SUITE_END()
