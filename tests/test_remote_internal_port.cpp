// No listener that the frame guard does not protect (issue 9, defect 3):
// entactd's only TCP listener is its public port, and whatever endpoint
// connects the guard to CAF's BASP refuses any other process before BASP
// reads a byte: the frames that crash BASP or make it allocate what a
// header declares change nothing there. The same holds for an engine
// embedded with `entact::serve`. Runs against a real entactd and a real
// embedded engine; the listeners are found the way a local attacker finds
// them, in /proc.

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>
#include <vector>

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <caf/io/middleman.hpp>

#include "entact/client.hpp"
#include "entact/engine.hpp"
#include "entact/serve.hpp"
#include "support/basp_frames.hpp"
#include "support/print.hpp"
#include "support/proc_info.hpp"
#include "support/proc_sockets.hpp"
#include "support/raw_conn.hpp"
#include "support/remote_client.hpp"
#include "support/server_process.hpp"
#include "support/temp_dir.hpp"

using namespace entact;
using namespace entact::test;
using namespace std::chrono_literals;

namespace {

using bytes = std::vector<uint8_t>;

/// What crashed BASP (an empty client handshake) or made it allocate 1 GiB
/// (a header declaring it), each sent alone on its own connection.
std::vector<bytes> attacks() {
  return {basp_header(basp_client_handshake, 0, 0),
          basp_header(basp_client_handshake, 1u << 30, basp_version),
          concat(client_handshake(fake_node(77)),
                 basp_header(basp_direct_message, 1u << 30, 0, 0, 1))};
}

/// Reads from `fd` until EOF or error (true) or 3 s without either; counts
/// the bytes read into `got`.
bool read_until_closed(int fd, size_t& got) {
  char buf[4096];
  for (int waited = 0; waited < 3000; waited += 50) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0)
      continue;
    auto n = ::recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n <= 0)
      return true;
    got += static_cast<size_t>(n);
  }
  return false;
}

/// Connects to the Unix listener `path`, sends `frame` and waits for the
/// connection to close; true if it closed without a byte from the server
/// (no BASP handshake: BASP never saw the connection).
bool refused_unix(const std::string& path, const bytes& frame) {
  int fd = connect_unix(path);
  if (fd < 0)
    return true; // not even connected
  ::send(fd, frame.data(), frame.size(), MSG_NOSIGNAL);
  size_t got = 0;
  auto closed = read_until_closed(fd, got);
  ::close(fd);
  return closed && got == 0;
}

/// Like `refused_unix`, for a TCP listener on 127.0.0.1.
bool refused_tcp(uint16_t port, const bytes& frame) {
  raw_conn c{port};
  if (!c.connected())
    return true;
  std::vector<uint8_t> first;
  auto talked = c.recv_exact(first, 1); // BASP's handshake
  c.send(frame);
  return c.drain_until_closed(3s) && !talked;
}

/// The listeners of process `pid` other than the public TCP port.
std::vector<listening_socket> internal_listeners(pid_t pid, uint16_t port) {
  std::vector<listening_socket> out;
  for (auto& s : listeners_of(pid))
    if (s.port != port)
      out.push_back(s);
  return out;
}

std::string describe(const listening_socket& s) {
  return s.path.empty() ? "TCP port " + std::to_string(s.port)
                        : "Unix socket " + s.path;
}

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

/// Runs `refused_unix(path, frame)` in a child process (the embedded
/// engine runs in this one, and its endpoint accepts this process); true if
/// the child found the connection refused. The child only makes system
/// calls: this process has threads.
bool refused_from_another_process(const std::string& path, const bytes& frame) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::copy(path.begin(), path.end(), addr.sun_path);
  auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path)
                                    + path.size());
  if (path[0] == '@')
    addr.sun_path[0] = '\0';
  else
    len += 1;
  auto pid = ::fork();
  if (pid == 0) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0)
      ::_exit(0); // not even connected
    ::send(fd, frame.data(), frame.size(), MSG_NOSIGNAL);
    char buf[4096];
    for (int waited = 0; waited < 3000; waited += 50) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0)
        continue;
      auto n = ::recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
      ::_exit(n <= 0 ? 0 : 1); // closed, or BASP talked to us
    }
    ::_exit(2); // left open
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

} // namespace

BOOST_AUTO_TEST_SUITE(internal_endpoint)

BOOST_AUTO_TEST_CASE(entactd_listens_on_tcp_only_at_its_public_port) {
  test::server_process server;
  size_t tcp = 0;
  for (auto& s : listeners_of(server.pid())) {
    BOOST_TEST_MESSAGE("entactd listens on " << describe(s));
    if (s.path.empty()) {
      ++tcp;
      BOOST_TEST(s.port == server.port(), describe(s));
    }
  }
  BOOST_TEST(tcp == 1u);
}

BOOST_AUTO_TEST_CASE(the_internal_endpoint_refuses_other_processes) {
  test::server_process server;
  auto pid = server.pid();
  auto db = connect_or_throw(server.port(), 30s);
  BOOST_REQUIRE(db->create("kept", "1"));
  auto base = peak_rss_kib(pid);
  auto internal = internal_listeners(pid, server.port());
  BOOST_TEST(!internal.empty()); // the guard's way to BASP is somewhere
  for (auto& s : internal) {
    for (auto& frame : attacks()) {
      auto refused = s.path.empty() ? refused_tcp(s.port, frame)
                                    : refused_unix(s.path, frame);
      BOOST_TEST(refused, describe(s) << " let a foreign process talk BASP");
      BOOST_REQUIRE_MESSAGE(server.running(),
                            "entactd died after a frame on " << describe(s));
    }
  }
  auto peak = peak_rss_kib(pid);
  BOOST_TEST(peak < base + 64 * 1024,
             "peak RSS grew by " << (peak - base) / 1024 << " MiB");
  // Still serving, old and new clients, through the guard.
  BOOST_TEST(db->update("kept", 1, "2")->version == 2u);
  auto fresh = connect_or_throw(server.port(), 30s);
  BOOST_TEST(fresh->get("kept")->value == "2");
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_CASE(an_embedded_server_refuses_other_processes_too) {
  temp_dir dir;
  auto eng = open_networked(dir);
  auto before = listeners_of(::getpid()).size();
  auto srv = serve(*eng);
  BOOST_REQUIRE(srv);
  auto db = connect_or_throw((*srv)->port(), 30s);
  BOOST_REQUIRE(db->create("kept", "1"));
  size_t unix_listeners = 0;
  for (auto& s : internal_listeners(::getpid(), (*srv)->port())) {
    BOOST_TEST(!s.path.empty(), "an extra " << describe(s));
    if (s.path.empty())
      continue;
    ++unix_listeners;
    for (auto& frame : attacks())
      BOOST_TEST(refused_from_another_process(s.path, frame), describe(s));
  }
  BOOST_TEST(unix_listeners == 1u);
  BOOST_TEST(db->update("kept", 1, "2")->version == 2u);
  // Stopped, the listener leaves no endpoint behind.
  (*srv)->stop();
  BOOST_TEST(listeners_of(::getpid()).size() == before);
  db.reset();
  eng->close();
}

BOOST_AUTO_TEST_SUITE_END()
