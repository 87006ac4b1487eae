#include "private_endpoint.hpp"

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <random>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/io/basp_broker.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/network/default_multiplexer.hpp>
#include <caf/io/network/doorman_impl.hpp>
#include <caf/send.hpp>

#include "entact/errc.hpp"

namespace entact::detail {

namespace {

using log_fn = std::function<void(const std::string&)>;

/// The address of the abstract socket `name`, and its length.
socklen_t abstract_address(const std::string& name, sockaddr_un& addr) {
  std::memset(&addr, 0, sizeof(addr));
  addr.sun_family = AF_UNIX;
  // sun_path[0] stays NUL: the abstract namespace, no file, nothing left
  // behind when the process dies.
  std::memcpy(addr.sun_path + 1, name.data(), name.size());
  return static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1
                                + name.size());
}

/// A name no other socket on this machine has: the pid and 64 random bits.
std::string fresh_name() {
  std::random_device rd;
  auto bits = (uint64_t{rd()} << 32) | rd();
  char buf[64];
  std::snprintf(buf, sizeof(buf), "entact-front-door-%ld-%016llx",
                static_cast<long>(::getpid()),
                static_cast<unsigned long long>(bits));
  return buf;
}

/// True if the process at the other end of the Unix socket `fd` is this
/// one (the kernel's word: `SO_PEERCRED`, fixed at connect time).
bool from_this_process(int fd, pid_t& peer) {
  ucred cred{};
  socklen_t len = sizeof(cred);
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
    return false;
  peer = cred.pid;
  return cred.pid == ::getpid();
}

/// CAF's doorman for the endpoint, with two changes: a connection from
/// another process is closed as soon as it is accepted, before BASP has
/// a scribe for it (so BASP neither writes its handshake nor reads a
/// byte), and `port` is the one the publication is filed under.
class own_process_doorman : public caf::io::network::doorman_impl {
public:
  own_process_doorman(caf::io::network::default_multiplexer& mpx, int fd,
                      uint16_t port, std::string name, log_fn log)
    : doorman_impl(mpx, fd),
      port_(port),
      name_(std::move(name)),
      log_(std::move(log)) {
    // nop
  }

  bool new_connection() override {
    auto fd = acceptor_.accepted_socket();
    if (detached()) {
      // The broker closed this doorman while the multiplexer still polled
      // its socket, and the acceptor has just accepted a connection from
      // the backlog (a guard connects before it relays a peer's first
      // byte, so a listener stopped right then leaves one there). CAF
      // 0.17.6's doorman_impl returns without closing it: the socket would
      // outlive the actor system (test_remote_serve_shutdown).
      ::close(fd);
      return false;
    }
    pid_t peer = 0;
    if (!from_this_process(fd, peer)) {
      ::close(fd);
      log_("front door: refused a connection to @" + name_ + " from pid "
           + std::to_string(peer) + " (only the frame guard may connect)");
      return true;
    }
    return doorman_impl::new_connection();
  }

  uint16_t port() const override {
    return port_;
  }

  std::string addr() const override {
    return "@" + name_;
  }

private:
  uint16_t port_;
  std::string name_;
  log_fn log_;
};

/// A listening socket at the abstract address `name`, or -1.
int listen_at(const std::string& name) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  sockaddr_un addr;
  auto len = abstract_address(name, addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0
      || ::listen(fd, SOMAXCONN) != 0) {
    auto err = errno;
    ::close(fd);
    errno = err;
    return -1;
  }
  return fd;
}

} // namespace

caf::expected<private_endpoint>
publish_privately(caf::actor_system& sys, const caf::actor& door,
                  const std::set<std::string>& interface, uint16_t port,
                  log_fn log) {
  auto& mm = sys.middleman();
  auto* mpx
    = dynamic_cast<caf::io::network::default_multiplexer*>(&mm.backend());
  if (mpx == nullptr)
    return make_error(errc::invalid_argument,
                      "serving needs CAF's default network backend");
  private_endpoint ep;
  ep.name = fresh_name();
  ep.port = port;
  int fd = listen_at(ep.name);
  if (fd < 0)
    return make_error(errc::invalid_argument,
                      "cannot open the front door's private socket: "
                        + std::string{std::strerror(errno)});
  caf::io::doorman_ptr dm = caf::make_counted<own_process_doorman>(
    *mpx, fd, port, ep.name, std::move(log));
  // What `middleman::publish` sends the BASP broker after opening a TCP
  // doorman (CAF 0.17.6's middleman_actor_impl::put).
  auto basp = mm.named_broker<caf::io::basp_broker>(caf::atom("BASP"));
  caf::anon_send(basp, caf::publish_atom_v, std::move(dm), port,
                 caf::actor_cast<caf::strong_actor_ptr>(door), interface);
  return ep;
}

int connect_private(const std::string& name) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return -1;
  sockaddr_un addr;
  auto len = abstract_address(name, addr);
  // A Unix connect completes at once or fails (EAGAIN: backlog full).
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    auto err = errno;
    ::close(fd);
    errno = err;
    return -1;
  }
  return fd;
}

} // namespace entact::detail
