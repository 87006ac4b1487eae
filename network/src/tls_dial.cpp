#include "tls_dial.hpp"

#include <sys/socket.h>

#include <caf/exit_reason.hpp>
#include <caf/io/basp_broker.hpp>
#include <caf/io/broker.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/middleman_actor_impl.hpp>
#include <caf/io/network/native_socket.hpp>
#include <caf/scoped_actor.hpp>

#include "dial_within.hpp"
#include "tls_session.hpp"

namespace entact::detail {

namespace {

using caf::io::connection_handle;

// -- the relay: BASP's plaintext <-> the server's TLS -------------------------

struct relay_state {
  connection_handle net;   // to the server: TLS
  connection_handle local; // to the BASP broker: plaintext
  std::shared_ptr<tls_session> tls;
  std::shared_ptr<tls_failure> failure;
  static inline const char* name = "entact.tls_relay";
};

using relay_actor = caf::io::stateful_broker<relay_state>;

void stop_relay(relay_actor* self, const std::string& why) {
  if (!why.empty())
    self->state.failure->set(why);
  self->close_all();
  self->quit();
}

void flush_to_server(relay_actor* self) {
  auto& st = self->state;
  if (!st.tls->has_output())
    return;
  st.tls->take_output(self->wr_buf(st.net));
  self->flush(st.net);
}

void from_server(relay_actor* self, caf::io::new_data_msg& msg) {
  auto& st = self->state;
  std::vector<char> plain;
  auto ok = st.tls->receive(msg.buf.data(), msg.buf.size(), plain);
  flush_to_server(self);
  if (!ok)
    return stop_relay(self, st.tls->error());
  if (plain.empty())
    return;
  auto& out = self->wr_buf(st.local);
  out.insert(out.end(), plain.begin(), plain.end());
  self->flush(st.local);
}

caf::behavior tls_relay(relay_actor* self, caf::io::scribe_ptr net,
                        caf::io::scribe_ptr local,
                        std::shared_ptr<tls_session> tls,
                        std::shared_ptr<tls_failure> failure,
                        caf::actor dialer) {
  auto& st = self->state;
  st.net = net->hdl();
  st.local = local->hdl();
  st.tls = std::move(tls);
  st.failure = std::move(failure);
  self->add_scribe(std::move(net));
  self->add_scribe(std::move(local));
  auto chunk = caf::io::receive_policy::at_most(64 * 1024);
  self->configure_read(st.net, chunk);
  self->configure_read(st.local, chunk);
  // The client closing stops its dialer, and with it this relay.
  self->monitor(dialer);
  self->set_down_handler([self](caf::down_msg&) { stop_relay(self, ""); });
  flush_to_server(self); // the ClientHello
  return {
    [self](caf::io::new_data_msg& msg) {
      auto& st = self->state;
      if (msg.handle == st.net)
        return from_server(self, msg);
      if (!st.tls->send(msg.buf.data(), msg.buf.size()))
        return stop_relay(self, st.tls->error());
      flush_to_server(self);
    },
    [self](const caf::io::connection_closed_msg& msg) {
      auto& st = self->state;
      if (msg.handle != st.net)
        return stop_relay(self, "");
      stop_relay(self, st.tls->established()
                         ? "the server closed the connection"
                         : "TLS: the server closed the connection during "
                           "the handshake (not a TLS port, or it refused "
                           "this client)");
    },
  };
}

// -- the middleman actor: CAF's, with `connect` going through a relay ---------

class tls_middleman : public caf::io::middleman_actor_impl {
public:
  tls_middleman(caf::actor_config& cfg, caf::actor basp, tls_context_ptr ctx,
                std::string server_name, std::shared_ptr<tls_failure> failure)
    : caf::io::middleman_actor_impl(cfg, std::move(basp)),
      ctx_(std::move(ctx)),
      server_name_(std::move(server_name)),
      failure_(std::move(failure)) {
    // nop
  }

  const char* name() const override {
    return "entact.tls_middleman";
  }

protected:
  caf::expected<caf::io::scribe_ptr> connect(const std::string& host,
                                             uint16_t port) override {
    auto session = tls_session::connect(
      ctx_.get(), server_name_.empty() ? host : server_name_);
    if (!session)
      return std::move(session.error());
    auto& mpx = system().middleman().backend();
    auto net = mpx.new_tcp_scribe(host, port);
    if (!net)
      return std::move(net.error());
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
      return caf::make_error(caf::sec::cannot_connect_to_node,
                             "socketpair failed");
    caf::io::network::nonblocking(fds[0], true);
    caf::io::network::nonblocking(fds[1], true);
    system().middleman().spawn_broker(
      tls_relay, std::move(*net), mpx.new_scribe(fds[1]),
      std::shared_ptr<tls_session>{std::move(*session)}, failure_,
      caf::actor_cast<caf::actor>(this));
    return mpx.new_scribe(fds[0]);
  }

private:
  tls_context_ptr ctx_;
  std::string server_name_;
  std::shared_ptr<tls_failure> failure_;
};

} // namespace

void tls_failure::set(const std::string& why) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (why_.empty())
    why_ = why;
}

std::string tls_failure::get() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return why_;
}

caf::expected<std::unique_ptr<tls_dialer>>
tls_dialer::make(caf::actor_system& sys, const tls_client_options& opts) {
  auto ctx = make_client_context(opts);
  if (!ctx)
    return std::move(ctx.error());
  auto failure = std::make_shared<tls_failure>();
  auto basp = sys.middleman().named_broker<caf::io::basp_broker>(
    caf::atom("BASP"));
  auto mm = sys.spawn<tls_middleman, caf::detached + caf::hidden>(
    std::move(basp), std::move(*ctx), opts.server_name, failure);
  return std::unique_ptr<tls_dialer>{
    new tls_dialer(sys, caf::actor_cast<caf::actor>(mm), std::move(failure))};
}

tls_dialer::tls_dialer(caf::actor_system& sys, caf::actor mm,
                       std::shared_ptr<tls_failure> failure)
  : sys_(sys), mm_(std::move(mm)), failure_(std::move(failure)) {
  // nop
}

tls_dialer::~tls_dialer() {
  caf::scoped_actor self{sys_, true};
  self->send_exit(mm_, caf::exit_reason::kill);
  self->wait_for(mm_);
}

caf::expected<caf::strong_actor_ptr>
tls_dialer::remote_actor(const std::set<std::string>& ifs,
                         const std::string& host, uint16_t port,
                         caf::timespan timeout) {
  return dial_within(sys_, mm_, ifs, host, port, timeout);
}

std::string tls_dialer::failure() const {
  return failure_->get();
}

} // namespace entact::detail
