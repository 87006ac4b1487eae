#include "frame_guard.hpp"

#include "basp_check.hpp"
#include "tls_session.hpp"

#include <algorithm>
#include <iostream>
#include <unordered_map>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/io/broker.hpp>
#include <caf/io/middleman.hpp>

namespace entact::detail {

namespace {

using caf::io::connection_handle;

/// What the guard keeps about one side of a relayed connection.
struct link {
  /// The other side.
  connection_handle peer;
  /// Set on the peer's side (its bytes are checked), null on the side
  /// towards BASP (relayed as they come).
  std::unique_ptr<basp_checker> checker;
  /// The peer's incomplete frame, held back until all of it has arrived:
  /// BASP sizes its buffer from a header as soon as it sees one.
  std::vector<char> pending;
  /// The peer's TLS session (on the peer's side, if the port speaks TLS).
  std::unique_ptr<tls_session> tls;
};

struct guard_state {
  frame_guard_config cfg;
  caf::io::accept_handle acceptor;
  bool accepting = true;
  claimed_nodes claimed; // outlives the checkers in `links`
  std::unordered_map<connection_handle, link> links;
  static inline const char* name = "entact.frame_guard";
};

using guard_actor = caf::io::stateful_broker<guard_state>;

/// Past this, a drained `pending` buffer gives its memory back.
constexpr size_t keep_capacity = 1024 * 1024;

void stop_guard(guard_actor* self) {
  self->state.links.clear();
  self->close_all();
  self->quit();
}

/// Closes both sides of the connection `hdl` belongs to.
void drop(guard_actor* self, connection_handle hdl) {
  auto& links = self->state.links;
  auto i = links.find(hdl);
  if (i == links.end())
    return;
  auto peer = i->second.peer;
  links.erase(i);
  links.erase(peer);
  self->close(hdl);
  self->close(peer);
  if (!self->state.accepting && links.empty())
    stop_guard(self);
}

void accept(guard_actor* self, connection_handle peer) {
  auto& st = self->state;
  std::unique_ptr<tls_session> tls;
  if (st.cfg.tls) {
    auto session = tls_session::accept(st.cfg.tls.get());
    if (!session) {
      st.cfg.log("frame guard: " + self->system().render(session.error()));
      self->close(peer);
      return;
    }
    tls = std::move(*session);
  }
  auto basp = self->add_tcp_scribe("127.0.0.1", st.cfg.internal_port);
  if (!basp) {
    st.cfg.log("frame guard: cannot reach the server's own port "
               + std::to_string(st.cfg.internal_port) + ": "
               + self->system().render(basp.error()));
    self->close(peer);
    return;
  }
  auto& in = st.links[peer];
  in.peer = *basp;
  in.checker = std::make_unique<basp_checker>(
    self->system(), st.cfg.max_frame_bytes, st.claimed);
  in.tls = std::move(tls);
  st.links[*basp].peer = peer;
  auto chunk = caf::io::receive_policy::at_most(st.cfg.read_chunk);
  self->configure_read(peer, chunk);
  self->configure_read(*basp, chunk);
}

/// Logs why the peer `hdl` failed TLS and closes both sides.
void disconnect_tls(guard_actor* self, connection_handle hdl,
                    const std::string& why) {
  self->state.cfg.log("frame guard: disconnected " + self->remote_addr(hdl)
                      + ":" + std::to_string(self->remote_port(hdl)) + ": "
                      + why);
  drop(self, hdl);
}

/// Writes bytes from BASP to `peer`, encrypted if it speaks TLS.
void write_to_peer(guard_actor* self, connection_handle peer,
                   const char* data, size_t n) {
  auto i = self->state.links.find(peer);
  if (i == self->state.links.end())
    return;
  auto& tls = i->second.tls;
  if (tls && !tls->send(data, n))
    return disconnect_tls(self, peer, tls->error());
  auto& out = self->wr_buf(peer);
  if (tls)
    tls->take_output(out);
  else
    out.insert(out.end(), data, data + n);
  self->flush(peer);
}

/// Decrypts what the peer `hdl` sent into `plain` and sends the peer what
/// TLS answers (handshake, alerts). A peer that fails TLS (plaintext, no
/// or a wrong client certificate) is logged and disconnected: false.
bool decrypt(guard_actor* self, connection_handle hdl, tls_session& tls,
             caf::io::new_data_msg& msg, std::vector<char>& plain) {
  auto ok = tls.receive(msg.buf.data(), msg.buf.size(), plain);
  if (tls.has_output()) {
    tls.take_output(self->wr_buf(hdl));
    self->flush(hdl);
  }
  if (ok)
    return true;
  disconnect_tls(self, hdl, tls.error());
  return false;
}

void relay(guard_actor* self, caf::io::new_data_msg& msg) {
  auto& links = self->state.links;
  auto i = links.find(msg.handle);
  if (i == links.end())
    return;
  auto& src = i->second;
  auto* data = msg.buf.data();
  auto n = msg.buf.size();
  if (!src.checker) { // from BASP: as it comes
    write_to_peer(self, src.peer, data, n);
    return;
  }
  std::vector<char> plain;
  if (src.tls) {
    if (!decrypt(self, msg.handle, *src.tls, msg, plain) || plain.empty())
      return;
    data = plain.data();
    n = plain.size();
  }
  auto res = src.checker->scan(data, n);
  if (!res.refusal.empty()) {
    self->state.cfg.log("frame guard: disconnected "
                        + self->remote_addr(msg.handle) + ":"
                        + std::to_string(self->remote_port(msg.handle)) + ": "
                        + res.refusal);
    drop(self, msg.handle);
    return;
  }
  if (res.complete == 0) {
    src.pending.insert(src.pending.end(), data, data + n);
    return;
  }
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
  src.pending.assign(data + res.complete, data + n);
  self->flush(src.peer);
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
  self->monitor(watched);
  self->set_down_handler([self](caf::down_msg&) { stop_guard(self); });
  return {
    [self](const caf::io::new_connection_msg& msg) {
      accept(self, msg.handle);
    },
    [self](caf::io::new_data_msg& msg) { relay(self, msg); },
    [self](const caf::io::connection_closed_msg& msg) {
      drop(self, msg.handle);
    },
    [self](const caf::io::acceptor_closed_msg&) {
      self->state.accepting = false;
      if (self->state.links.empty())
        stop_guard(self);
    },
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
                             caf::actor watched, frame_guard_config cfg) {
  return sys.middleman().spawn_broker(frame_guard, std::move(door),
                                      std::move(watched), std::move(cfg));
}

} // namespace entact::detail
