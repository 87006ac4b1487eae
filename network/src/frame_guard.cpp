#include "frame_guard.hpp"

#include "basp_check.hpp"
#include "basp_destinations.hpp"
#include "basp_replies.hpp"
#include "private_endpoint.hpp"
#include "tls_session.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <unordered_map>
#include <vector>

#include <sys/socket.h>

#include <caf/actor_system.hpp>
#include <caf/io/broker.hpp>
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>

namespace entact::detail {

namespace {

using caf::io::connection_handle;
using std::chrono::steady_clock;

/// Time to look for peers that have stopped reading their replies.
using guard_tick_atom = caf::atom_constant<caf::atom("g_tick")>;

/// How a peer's connection is doing: what is held for it, and whether the
/// guard reads from it.
struct peer_flow {
  /// Its address and port, for the log (the socket may be gone when it is
  /// needed).
  std::string who;
  /// Its IP address, for `max_connections_per_ip`.
  std::string address;
  /// Bytes in its write buffer (CAF's), not yet written to its socket.
  size_t queued = 0;
  /// Its requests forwarded to BASP and not yet answered.
  size_t in_flight = 0;
  /// The size of its recent responses (a moving average; 0: none yet).
  size_t reply_size = 0;
  /// False while its replies or requests are over the bounds.
  bool reading = true;
  /// CAF stopped reading from its socket (the guard gave it no more
  /// activity tokens); the guard must give it one to resume.
  bool passivated = false;
  /// When bytes of `queued` were last written (or `queued` last became
  /// non-empty).
  steady_clock::time_point last_write;
};

/// What the guard keeps about one side of a relayed connection.
struct link {
  /// The other side.
  connection_handle peer;
  /// What the peer may address: learnt from BASP's side, checked on the
  /// peer's (shared by both sides' scanners).
  std::shared_ptr<peer_destinations> dests;
  /// Set on the peer's side (its bytes are checked), null on the side
  /// towards BASP (relayed as they come).
  std::unique_ptr<basp_checker> checker;
  /// Set on the side towards BASP: counts the responses it sends.
  std::unique_ptr<basp_reply_counter> replies;
  /// The peer's incomplete frame, held back until all of it has arrived:
  /// BASP sizes its buffer from a header as soon as it sees one.
  std::vector<char> pending;
  /// Bytes read from the peer but not yet scanned: they hold requests past
  /// its budget (`request_budget`). At most one read; no more is read
  /// until they are gone.
  std::vector<char> unscanned;
  /// On the peer's side.
  peer_flow flow;
  /// When the peer connected (for the handshake deadline).
  steady_clock::time_point connected_at;
  /// The peer's TLS session (on the peer's side, if the port speaks TLS).
  std::unique_ptr<tls_session> tls;
  /// Set when the peer failed TLS: its side towards BASP is closed, what it
  /// sends is read and dropped, and it is closed once it has the alert
  /// (see `linger`).
  bool lingering = false;
  steady_clock::time_point lingering_since;
};

struct guard_state {
  frame_guard_config cfg;
  caf::io::accept_handle acceptor;
  bool accepting = true;
  size_t peers = 0;      // connected through the guard
  std::unordered_map<std::string, size_t> peers_from; // by IP address
  claimed_nodes claimed; // outlives the checkers in `links`
  std::unordered_map<connection_handle, link> links;
  /// Its doorman is in the event loop (see `guard_armed_atom`); until then
  /// `guard_ready_atom` requests wait in `ready`.
  bool armed = false;
  std::vector<caf::response_promise> ready;
  static inline const char* name = "entact.frame_guard";
};

/// Sent by the guard to itself from the event loop's next round, once the
/// doorman's registration has been applied.
using guard_armed_atom = caf::atom_constant<caf::atom("g_armed")>;

/// The guard's broker. CAF 0.17.6's `abstract_broker::cleanup` calls
/// `local_actor::cleanup` and so skips `scheduled_actor::cleanup`, where
/// every other actor's mailbox is closed and drained: a broker that quits
/// keeps what is in its mailbox and goes on taking messages for ever. Its
/// own pending tick (whose sender is the guard) then kept it alive, and the
/// front door's down message (whose sender is the door) the door: 3 KB at
/// every exit. This cleanup does what `abstract_broker::cleanup` does
/// (close every servant) and then what it skipped: the mailbox is closed,
/// what is in it dropped, requests in it or sent later answered with the
/// exit reason.
class guard_actor : public caf::io::stateful_broker<guard_state> {
public:
  explicit guard_actor(caf::actor_config& cfg)
    : caf::io::stateful_broker<guard_state>(cfg) {
    // nop
  }

  bool cleanup(caf::error&& reason, caf::execution_unit* host) override {
    close_all();
    return caf::scheduled_actor::cleanup(std::move(reason), host);
  }
};

/// Past this, a drained `pending` buffer gives its memory back.
constexpr size_t keep_capacity = 1024 * 1024;

/// Closes connection `hdl`, also from its own read handler: a peer read
/// with activity tokens must lose them first, or CAF 0.17, which counts
/// this read's token after the handler returns, reports the connection
/// passivated to a broker it no longer belongs to (a null dereference).
void close_now(guard_actor* self, connection_handle hdl) {
  self->halt(hdl);
  self->close(hdl);
}

/// Ends connection `hdl` at once: its socket is shut down both ways, so
/// CAF drops what it still holds to write (the bytes already in the
/// kernel still go out, then a FIN). A graceful close would wait for a
/// peer that never reads, and keep the middleman from stopping.
void cut(guard_actor* self, connection_handle hdl) {
  // In CAF 0.17's default multiplexer a connection's id is its socket.
  ::shutdown(static_cast<int>(hdl.id()), SHUT_RDWR);
  close_now(self, hdl);
}

void stop_guard(guard_actor* self) {
  for (auto& kvp : self->state.links)
    cut(self, kvp.first);
  self->state.links.clear();
  self->state.peers = 0;
  self->state.peers_from.clear();
  self->close_all(); // the acceptor
  self->quit();
}

/// Closes both sides of the connection `hdl` belongs to: at once, dropping
/// what is queued, if `now` or if replies are still queued for the peer
/// (it may never read them); else gracefully.
void drop(guard_actor* self, connection_handle hdl, bool now = false) {
  auto& links = self->state.links;
  auto i = links.find(hdl);
  if (i == links.end())
    return;
  auto other = i->second.peer;
  auto j = links.find(other);
  --self->state.peers;
  auto& peer_side = i->second.checker || j == links.end() ? i->second
                                                           : j->second;
  if (peer_side.flow.queued > 0)
    now = true;
  auto& from = self->state.peers_from;
  if (auto k = from.find(peer_side.flow.address);
      k != from.end() && --k->second == 0)
    from.erase(k);
  links.erase(i);
  links.erase(other);
  for (auto h : {hdl, other}) {
    if (now)
      cut(self, h);
    else
      close_now(self, h);
  }
  if (!self->state.accepting && links.empty())
    stop_guard(self);
}

void relay_to_basp(guard_actor* self, connection_handle hdl, link& src,
                   const char* data, size_t n, bool in_read);

/// Requests of a peer in flight before the size of its replies is known.
/// (One connection multiplexes the calls of many threads, each of which may
/// wait on another's locks: too few would serialise them behind each other.)
constexpr size_t first_requests = 32;

/// How many requests of a peer may be in flight: `max_in_flight`, and no
/// more than the replies of its recent size that fit, with what is
/// already queued, into `max_queued_bytes` (at least one).
size_t request_budget(const frame_guard_config& cfg, const peer_flow& flow) {
  if (flow.reply_size == 0)
    return std::min(cfg.max_in_flight, first_requests);
  auto left = cfg.max_queued_bytes - std::min(flow.queued,
                                              cfg.max_queued_bytes);
  return std::clamp<size_t>(left / flow.reply_size, 1, cfg.max_in_flight);
}

/// Stops or resumes reading from the peer `hdl` as its flow requires;
/// resuming, it first forwards what it held back. Returns false if the
/// peer has been dropped meanwhile.
bool pace(guard_actor* self, connection_handle hdl, link& src) {
  auto& cfg = self->state.cfg;
  auto& flow = src.flow;
  auto budget = request_budget(cfg, flow);
  bool over = flow.queued > cfg.max_queued_bytes || flow.in_flight >= budget;
  bool under = flow.queued <= cfg.max_queued_bytes / 2
               && flow.in_flight <= budget / 2;
  if (flow.reading && over) {
    flow.reading = false; // its current token runs out: CAF passivates it
  } else if (!flow.reading && under) {
    flow.reading = true;
    if (!src.unscanned.empty()) {
      std::vector<char> held;
      held.swap(src.unscanned);
      relay_to_basp(self, hdl, src, held.data(), held.size(), false);
      return self->state.links.count(hdl) > 0;
    }
    if (flow.passivated) {
      flow.passivated = false;
      self->trigger(hdl, 1);
    }
  }
  return true;
}

void accept(guard_actor* self, connection_handle peer) {
  auto& st = self->state;
  if (st.peers >= st.cfg.max_connections) {
    st.cfg.log("frame guard: refused " + self->remote_addr(peer) + ":"
               + std::to_string(self->remote_port(peer)) + ": "
               + std::to_string(st.peers)
               + " peers connected, the most allowed");
    cut(self, peer);
    return;
  }
  auto address = self->remote_addr(peer);
  auto from = st.peers_from.find(address);
  auto cap = st.cfg.max_connections_per_ip;
  if (cap > 0 && from != st.peers_from.end() && from->second >= cap) {
    st.cfg.log("frame guard: refused " + address + ":"
               + std::to_string(self->remote_port(peer)) + ": "
               + std::to_string(from->second) + " peers connected from "
               + address + ", the most allowed from one address");
    cut(self, peer);
    return;
  }
  std::unique_ptr<tls_session> tls;
  if (st.cfg.tls) {
    auto session = tls_session::accept(st.cfg.tls.get());
    if (!session) {
      st.cfg.log("frame guard: " + self->system().render(session.error()));
      cut(self, peer);
      return;
    }
    tls = std::move(*session);
  }
  auto fd = connect_private(st.cfg.endpoint);
  if (fd < 0) {
    st.cfg.log("frame guard: cannot reach the front door's endpoint @"
               + st.cfg.endpoint + ": " + std::strerror(errno));
    self->close(peer);
    return;
  }
  auto basp = self->add_scribe(fd);
  ++st.peers;
  ++st.peers_from[address];
  auto dests = std::make_shared<peer_destinations>(st.cfg.door);
  auto& in = st.links[peer];
  in.peer = basp;
  in.dests = dests;
  in.checker = std::make_unique<basp_checker>(
    self->system(), st.cfg.max_frame_bytes, st.claimed, *dests);
  in.connected_at = steady_clock::now();
  in.flow.who = address + ":" + std::to_string(self->remote_port(peer));
  in.flow.address = address;
  in.tls = std::move(tls);
  auto& out = st.links[basp];
  out.peer = peer;
  out.dests = dests;
  out.replies = std::make_unique<basp_reply_counter>(self->system(), *dests);
  auto chunk = caf::io::receive_policy::at_most(st.cfg.read_chunk);
  self->configure_read(basp, chunk);
  self->configure_read(peer, chunk);
  self->ack_writes(peer, true);
  // The peer is read one chunk at a time: each read needs a token, and
  // the guard hands out the next one only while the peer is within its
  // bounds (CAF would otherwise read on, up to 50 chunks an event).
  self->trigger(peer, 1);
}

/// Bytes from BASP to the peer: as they come.
void relay_to_peer(guard_actor* self, link& src, const char* data, size_t n) {
  auto& links = self->state.links;
  auto i = links.find(src.peer);
  if (i == links.end())
    return;
  auto& flow = i->second.flow;
  auto answered = src.replies->scan(data, n);
  flow.in_flight -= std::min(answered.responses, flow.in_flight);
  if (answered.responses > 0) {
    auto size = answered.bytes / answered.responses;
    flow.reply_size = flow.reply_size == 0 ? size
                                           : (flow.reply_size * 7 + size) / 8;
  }
  if (flow.queued == 0)
    flow.last_write = steady_clock::now();
  flow.queued += n;
  auto peer = src.peer;
  auto& tls = i->second.tls;
  if (tls && !tls->send(data, n)) {
    self->state.cfg.log("frame guard: disconnected " + flow.who + ": "
                        + tls->error());
    drop(self, peer, true);
    return;
  }
  auto& out = self->wr_buf(peer);
  if (tls)
    tls->take_output(out);
  else
    out.insert(out.end(), data, data + n);
  self->flush(peer);
  pace(self, peer, i->second); // may drop `src`
}

/// Bytes from the peer to BASP: only whole frames that pass the checker,
/// and requests only up to its budget (the rest waits in `unscanned`).
/// `in_read`: called for a read from the peer's socket (which used up its
/// token), not for bytes held back before.
void relay_to_basp(guard_actor* self, connection_handle hdl, link& src,
                   const char* data, size_t n, bool in_read) {
  auto budget = request_budget(self->state.cfg, src.flow);
  auto room = budget - std::min(src.flow.in_flight, budget);
  if (room == 0 || !src.unscanned.empty()) {
    src.unscanned.insert(src.unscanned.end(), data, data + n);
    src.flow.reading = false;
    return; // resumed by `pace`
  }
  auto res = src.checker->scan(data, n, room);
  if (!res.refusal.empty()) {
    self->state.cfg.log("frame guard: disconnected " + src.flow.who + ": "
                        + res.refusal);
    drop(self, hdl);
    return;
  }
  src.flow.in_flight += res.requests;
  if (res.complete == 0) {
    src.pending.insert(src.pending.end(), data, data + res.scanned);
  } else {
    auto& out = self->wr_buf(src.peer);
    if (!src.pending.empty()) {
      if (out.empty())
        out.swap(src.pending);
      else
        out.insert(out.end(), src.pending.begin(), src.pending.end());
      src.pending.clear();
      if (src.pending.capacity() > keep_capacity)
        std::vector<char>{}.swap(src.pending);
    }
    out.insert(out.end(), data, data + res.complete);
    src.pending.assign(data + res.complete, data + res.scanned);
    self->flush(src.peer);
  }
  if (res.scanned < n) // stopped at `room` requests
    src.unscanned.assign(data + res.scanned, data + n);
  if (!pace(self, hdl, src))
    return;
  if (!src.flow.reading || !src.unscanned.empty())
    return; // no token: CAF passivates the peer after this read
  if (in_read) {
    self->trigger(hdl, 1); // for the next read
  } else if (src.flow.passivated) {
    src.flow.passivated = false;
    self->trigger(hdl, 1);
  }
}

/// Ends the connection of a peer that failed TLS so that it gets the alert
/// saying why: closing at once, with its next bytes unread, would make the
/// kernel answer with a reset that discards the alert at the peer. So the
/// side towards BASP closes now; the peer's side keeps reading (and
/// dropping) until the alert is written, then sends its FIN, and closes
/// when the peer does (or after the stall timeout).
void linger(guard_actor* self, connection_handle hdl, link& src,
            bool alert_queued) {
  auto basp = src.peer;
  self->state.links.erase(basp);
  close_now(self, basp);
  src.lingering = true;
  src.lingering_since = steady_clock::now();
  src.unscanned.clear();
  src.pending.clear();
  self->trigger(hdl); // read on, unconditionally: nothing is kept
  if (!alert_queued)
    ::shutdown(static_cast<int>(hdl.id()), SHUT_WR);
}

/// Decrypts what the TLS peer `hdl` sent, sends it what TLS answers
/// (handshake, alerts) and relays the plaintext to BASP. A peer that fails
/// TLS (plaintext, no or a wrong client certificate) is logged and
/// disconnected. A read that gave no plaintext (handshake records) still
/// needs the token for the next read.
void decrypt_to_basp(guard_actor* self, connection_handle hdl, link& src,
                     caf::io::new_data_msg& msg) {
  std::vector<char> plain;
  auto& tls = *src.tls;
  auto ok = tls.receive(msg.buf.data(), msg.buf.size(), plain);
  bool answered = tls.has_output();
  if (answered) {
    tls.take_output(self->wr_buf(hdl));
    self->flush(hdl);
  }
  if (!ok) {
    self->state.cfg.log("frame guard: disconnected " + src.flow.who + ": "
                        + tls.error());
    linger(self, hdl, src, answered);
    return;
  }
  if (!plain.empty()) {
    relay_to_basp(self, hdl, src, plain.data(), plain.size(), true);
    return;
  }
  if (src.flow.reading && src.unscanned.empty())
    self->trigger(hdl, 1);
}

void relay(guard_actor* self, caf::io::new_data_msg& msg) {
  auto& links = self->state.links;
  auto i = links.find(msg.handle);
  if (i == links.end())
    return;
  auto* data = msg.buf.data();
  auto n = msg.buf.size();
  if (i->second.lingering)
    return; // failed TLS: dropped
  if (i->second.checker && i->second.tls)
    decrypt_to_basp(self, msg.handle, i->second, msg);
  else if (i->second.checker)
    relay_to_basp(self, msg.handle, i->second, data, n, true);
  else
    relay_to_peer(self, i->second, data, n);
}

void written(guard_actor* self, const caf::io::data_transferred_msg& msg) {
  auto& links = self->state.links;
  auto i = links.find(msg.handle);
  if (i == links.end() || !i->second.checker)
    return;
  auto& flow = i->second.flow;
  flow.queued = msg.remaining;
  flow.last_write = steady_clock::now();
  if (i->second.lingering) {
    if (msg.remaining == 0) // the alert is out: FIN after it
      ::shutdown(static_cast<int>(msg.handle.id()), SHUT_WR);
    return;
  }
  pace(self, msg.handle, i->second);
}

/// Cuts off the peers that have left their replies unread for longer than
/// the stall timeout: everything held for them is freed.
void cut_stalled(guard_actor* self) {
  auto& st = self->state;
  auto now = steady_clock::now();
  std::vector<connection_handle> stalled;
  for (auto& [hdl, l] : st.links)
    if (l.lingering ? now - l.lingering_since > st.cfg.stall_timeout
                    : l.checker && l.flow.queued > 0
                        && now - l.flow.last_write > st.cfg.stall_timeout)
      stalled.push_back(hdl);
  for (auto hdl : stalled) {
    if (st.links[hdl].lingering) { // failed TLS, logged then
      drop(self, hdl, true);
      continue;
    }
    auto& flow = st.links[hdl].flow;
    st.cfg.log("frame guard: disconnected " + flow.who + ": it left "
               + std::to_string(flow.queued)
               + " bytes of replies unread for over "
               + std::to_string(st.cfg.stall_timeout.count()) + " ms");
    drop(self, hdl, true);
  }
}

/// True once the peer on `l`'s side has completed its TLS handshake (on a
/// TLS port) and its BASP client handshake.
bool handshaken(const link& l) {
  return l.checker->handshaken() && (!l.tls || l.tls->established());
}

/// Cuts off the peers that connected longer than the handshake timeout
/// ago and have not completed their handshakes: an idle or dribbling peer
/// would hold one of `max_connections` slots for ever.
void cut_unfinished_handshakes(guard_actor* self) {
  auto& st = self->state;
  auto now = steady_clock::now();
  std::vector<connection_handle> late;
  for (auto& [hdl, l] : st.links)
    if (l.checker && !l.lingering && !handshaken(l)
        && now - l.connected_at > st.cfg.handshake_timeout)
      late.push_back(hdl);
  for (auto hdl : late) {
    auto& l = st.links[hdl];
    st.cfg.log("frame guard: disconnected " + l.flow.who + ": "
               + (l.tls && !l.tls->established() ? "TLS" : "BASP")
               + " handshake not completed within "
               + std::to_string(st.cfg.handshake_timeout.count()) + " ms");
    drop(self, hdl, true);
  }
}

/// How often `cut_stalled` and `cut_unfinished_handshakes` run: a quarter
/// of the shorter timeout, within [10 ms, 1 s].
std::chrono::milliseconds tick_interval(const frame_guard_config& cfg) {
  using std::chrono::milliseconds;
  auto shorter = std::min(cfg.stall_timeout, cfg.handshake_timeout);
  return std::clamp(shorter / 4, milliseconds{10}, milliseconds{1000});
}

caf::behavior frame_guard(guard_actor* self, caf::io::doorman_ptr door,
                          caf::actor watched, frame_guard_config cfg) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  if (!st.cfg.log)
    st.cfg.log = [](const std::string& line) {
      std::cerr << "entact: " << line << std::endl;
    };
  st.acceptor = door->hdl();
  self->add_doorman(std::move(door));
  // The doorman's registration is queued in the multiplexer; closing the
  // doorman in the same round of the event loop would cancel both out,
  // and CAF 0.17.6 would then keep the doorman (and its socket) for ever:
  // its acceptor releases it only when told it left the loop. So `serve`
  // waits for the next round (`post` runs there) before anyone may stop
  // the guard.
  self->backend().post([guard = caf::actor_cast<caf::actor>(self)] {
    caf::anon_send(guard, guard_armed_atom::value);
  });
  self->monitor(watched);
  self->set_down_handler([self](caf::down_msg&) { stop_guard(self); });
  self->delayed_send(self, tick_interval(st.cfg), guard_tick_atom::value);
  return {
    [self](const caf::io::new_connection_msg& msg) {
      accept(self, msg.handle);
    },
    [self](caf::io::new_data_msg& msg) { relay(self, msg); },
    [self](const caf::io::data_transferred_msg& msg) { written(self, msg); },
    [self](const caf::io::connection_passivated_msg& msg) {
      auto i = self->state.links.find(msg.handle);
      if (i != self->state.links.end())
        i->second.flow.passivated = true;
    },
    [self](const caf::io::connection_closed_msg& msg) {
      drop(self, msg.handle);
    },
    [self](guard_tick_atom) {
      cut_stalled(self);
      cut_unfinished_handshakes(self);
      self->delayed_send(self, tick_interval(self->state.cfg),
                         guard_tick_atom::value);
    },
    [self](const caf::io::acceptor_closed_msg&) {
      self->state.accepting = false;
      if (self->state.links.empty())
        stop_guard(self);
    },
    [self](guard_armed_atom) {
      self->state.armed = true;
      for (auto& rp : self->state.ready)
        rp.deliver(true);
      self->state.ready.clear();
    },
    [self](guard_ready_atom) -> caf::result<bool> {
      if (self->state.armed)
        return true;
      self->state.ready.push_back(self->make_response_promise());
      return caf::delegated<bool>{};
    },
    [self](guard_quit_atom) { stop_guard(self); },
    [self](guard_stop_atom) {
      auto& st = self->state;
      if (st.accepting) {
        st.accepting = false;
        self->close(st.acceptor);
      }
      if (st.links.empty())
        stop_guard(self);
      return true;
    },
  };
}

} // namespace

caf::actor spawn_frame_guard(caf::actor_system& sys, caf::io::doorman_ptr door,
                             caf::actor watched, frame_guard_config cfg,
                             caf::timespan ready_within) {
  auto guard = sys.middleman().spawn_broker(frame_guard, std::move(door),
                                            std::move(watched),
                                            std::move(cfg));
  bool ready = false;
  caf::scoped_actor self{sys};
  self->request(guard, ready_within, guard_ready_atom::value)
    .receive([&](bool) { ready = true; }, [](const caf::error&) {});
  if (!ready) {
    quit_frame_guard(sys, guard, ready_within);
    return {};
  }
  return guard;
}

bool quit_frame_guard(caf::actor_system& sys, const caf::actor& guard,
                      caf::timespan limit) {
  caf::scoped_actor self{sys};
  self->monitor(guard); // at once a down message if it is gone already
  self->send(guard, guard_quit_atom::value);
  // A fresh scoped actor: the guard's down message is the only one it gets.
  bool gone = false;
  self->receive([&](const caf::down_msg&) { gone = true; },
                caf::after(limit) >> [] {});
  return gone;
}

} // namespace entact::detail
