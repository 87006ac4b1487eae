// Robustness of entactd and entact::client against what real networks and
// real processes do: garbage and truncated frames on the server's port,
// clients that are killed or vanish while holding locks, oversized
// requests, and a server killed while writes are in flight. Everything runs
// against a real entactd on 127.0.0.1; every loop and wait is bounded.

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <array>
#include <functional>
#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <caf/actor_cast.hpp>
#include <caf/scoped_actor.hpp>

#include "entact/client.hpp"
#include "support/print.hpp"
#include "support/remote_client.hpp"
#include "support/txn_helpers.hpp"
#include "support/proc_info.hpp"
#include "support/raw_conn.hpp"
#include "support/server_process.hpp"

using namespace entact;
using namespace entact::test;
using namespace std::chrono_literals;
using std::chrono::steady_clock;

namespace {

// -- a well-behaved client working while the server is abused -----------------

/// Keeps a client busy in a thread: versioned updates of its own counter,
/// each read back. Every call must succeed and every value must be intact.
class steady_user {
public:
  steady_user(client& db, std::string id) : db_(db), id_(std::move(id)) {
    auto rec = db_.create(id_, "0");
    if (!rec)
      throw std::runtime_error("create failed: " + to_string(rec.error()));
    version_ = rec->version;
    thread_ = std::thread{[this] { run(); }};
  }

  ~steady_user() {
    stop();
  }

  void stop() {
    stopping_ = true;
    if (thread_.joinable())
      thread_.join();
  }

  uint64_t ops() const {
    return ops_;
  }

  uint64_t failures() const {
    return failures_;
  }

  uint64_t count() const {
    return count_;
  }

  std::string first_failure() {
    std::lock_guard<std::mutex> guard{mtx_};
    return first_failure_;
  }

private:
  void fail(const std::string& what) {
    ++failures_;
    std::lock_guard<std::mutex> guard{mtx_};
    if (first_failure_.empty())
      first_failure_ = what;
  }

  void run() {
    while (!stopping_ && failures_ == 0) {
      auto next = std::to_string(count_ + 1);
      auto w = db_.update(id_, version_, next);
      if (!w) {
        fail("update: " + to_string(w.error()));
        return;
      }
      version_ = w->version;
      ++count_;
      auto r = db_.read(id_);
      if (!r) {
        fail("read: " + to_string(r.error()));
        return;
      }
      if (r->value != next || r->version != version_)
        fail("read " + r->value + " v" + std::to_string(r->version)
             + ", expected " + next + " v" + std::to_string(version_));
      ++ops_;
      std::this_thread::sleep_for(2ms);
    }
  }

  client& db_;
  std::string id_;
  version_t version_ = 0;
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> ops_{0};
  std::atomic<uint64_t> failures_{0};
  std::atomic<bool> stopping_{false};
  std::mutex mtx_;
  std::string first_failure_;
  std::thread thread_;
};

// -- a transaction driven by message, as a remote owner -----------------------

/// Begins and locks a transaction at the server through `c`'s own actor
/// system; the scoped actor owns it (if it goes away, so must the locks).
struct remote_txn {
  caf::scoped_actor self;
  coordinator_api coord;
  txn_handle handle;

  explicit remote_txn(client& c)
    : self(c.system()), coord(caf::actor_cast<coordinator_api>(c.server())) {
    // nop
  }

  template <class T, class... Ts>
  caf::expected<T> call(Ts&&... xs) {
    caf::expected<T> result = make_error(errc::timeout);
    self->request(coord, std::chrono::seconds{30}, std::forward<Ts>(xs)...)
      .receive([&](T& x) { result = std::move(x); },
               [&](caf::error& err) { result = std::move(err); });
    return result;
  }

  caf::error begin_and_lock(const std::vector<entity_id>& ids,
                            txn_options opts) {
    auto h = call<txn_handle>(begin_atom::value, opts);
    if (!h)
      return std::move(h.error());
    handle = *h;
    auto locked = call<std::vector<record>>(lock_atom::value, handle.id, ids);
    if (!locked)
      return std::move(locked.error());
    return {};
  }
};

/// True if another transaction cannot lock `ids` right now: an old one
/// (age 1, so wait-die makes it wait) gives up after a short wait.
bool locks_held(client& c, const std::vector<entity_id>& ids) {
  auto probe = c.transact(
    ids, [](transaction&) { return make_error(errc::aborted, "probe only"); },
    txn_opts(300ms, 5s, 1), no_retry());
  return code(probe) == errc::lock_timeout;
}

/// Locks `ids` (lock_wait much shorter than the 60 s lease of the
/// abandoned transaction) and writes `value` to them. Age 1: the oldest
/// possible, so wait-die makes this transaction wait for the holder instead
/// of dying. Returns how long it took, or throws.
std::chrono::milliseconds take_over(client& c,
                                    const std::vector<entity_id>& ids,
                                    const std::string& value) {
  auto start = steady_clock::now();
  auto done = c.transact(
    ids,
    [&](transaction& t) -> caf::error {
      for (auto& id : ids)
        if (auto err = t.put(id, value))
          return err;
      return {};
    },
    txn_opts(10s, 20s, 1), no_retry());
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
    steady_clock::now() - start);
  if (!done)
    throw std::runtime_error("take-over failed after "
                             + std::to_string(took.count())
                             + " ms: " + to_string(done.error()));
  return took;
}

/// What a forked lock holder does once it holds its locks. It never
/// returns into Boost.Test either way.
enum class then { sleep_forever, exit_without_closing };

/// A forked lock holder: its pid and the pipe on which it reports.
struct forked_holder {
  pid_t pid = -1;
  int rd = -1;

  ~forked_holder() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    if (rd >= 0)
      ::close(rd);
  }

  /// Waits (at most `limit`) for the child's status byte.
  char wait_signal(std::chrono::milliseconds limit) {
    pollfd p{rd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(limit.count())) <= 0)
      return '?';
    char c = '?';
    if (::read(rd, &c, 1) != 1)
      return '!';
    return c;
  }

  int wait_exit() {
    int status = 0;
    ::waitpid(pid, &status, 0);
    pid = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  }
};

size_t thread_count() {
  size_t n = 0;
  if (auto* d = ::opendir("/proc/self/task")) {
    while (auto* e = ::readdir(d))
      if (e->d_name[0] != '.')
        ++n;
    ::closedir(d);
  }
  return n;
}

/// Forks a process that connects to `port`, begins a transaction with a
/// 60 s lease, locks `ids`, reports 'L' on the pipe (or 'E' on failure) and
/// then does `after`.
void fork_holder(forked_holder& h, uint16_t port,
                 const std::vector<entity_id>& ids, then after) {
  // fork copies only the calling thread: the parent must not have an actor
  // system (or any other thread) yet, or the child may inherit held locks.
  BOOST_TEST_MESSAGE("threads in the test process before fork: "
                     << thread_count());
  int fds[2];
  BOOST_REQUIRE(::pipe(fds) == 0);
  h.pid = ::fork();
  BOOST_REQUIRE(h.pid >= 0);
  if (h.pid == 0) {
    ::close(fds[0]);
    char status = 'E';
    {
      client_options opts;
      opts.port = port;
      auto c = client::connect(opts);
      if (c) {
        auto* txn = new remote_txn{**c}; // never destroyed: it holds locks
        if (!txn->begin_and_lock(ids, txn_opts(5s, 60s)))
          status = 'L';
        if (::write(fds[1], &status, 1) != 1)
          ::_exit(3);
        if (status == 'L' && after == then::exit_without_closing)
          ::_exit(0); // no close, no destructors: the process just ends
        for (;;)
          ::pause(); // until SIGKILL
      }
    }
    if (::write(fds[1], &status, 1) != 1)
      ::_exit(3);
    ::_exit(2);
  }
  ::close(fds[1]);
  h.rd = fds[0];
}

} // namespace

// The fork-based tests come first, while the test process has no actor
// system and no other thread yet (Boost.Test runs cases in order).
BOOST_AUTO_TEST_SUITE(dead_owners)

BOOST_AUTO_TEST_CASE(a_client_killed_mid_transaction_releases_its_locks) {
  test::server_process server;
  auto ids = ids_of("acct/", 3);
  forked_holder holder;
  fork_holder(holder, server.port(), ids, then::sleep_forever);
  BOOST_REQUIRE_EQUAL(holder.wait_signal(30s), 'L');
  // From here on this process may have threads: the fork is done.
  auto db = connect_or_throw(server.port());
  BOOST_TEST(locks_held(*db, ids)); // really held, by the other process
  ::kill(holder.pid, SIGKILL);
  BOOST_TEST(holder.wait_exit() == -SIGKILL);
  // The server sees the connection drop and aborts the transaction long
  // before its 60 s lease would have.
  auto took = take_over(*db, ids, "mine");
  BOOST_TEST_MESSAGE("locks of the killed client taken over after "
                     << took.count() << " ms");
  BOOST_TEST(took.count() < 5000);
  for (auto& id : ids)
    BOOST_TEST(db->read(id)->value == "mine");
  BOOST_TEST(server.running());
}

BOOST_AUTO_TEST_CASE(a_client_process_that_exits_mid_transaction_releases) {
  test::server_process server;
  auto ids = ids_of("acct/", 2);
  forked_holder holder;
  fork_holder(holder, server.port(), ids, then::exit_without_closing);
  BOOST_REQUIRE_EQUAL(holder.wait_signal(30s), 'L');
  BOOST_TEST(holder.wait_exit() == 0); // exited on its own, locks held
  auto db = connect_or_throw(server.port());
  auto took = take_over(*db, ids, "mine");
  BOOST_TEST_MESSAGE("locks of the exited client taken over after "
                     << took.count() << " ms");
  BOOST_TEST(took.count() < 5000);
  for (auto& id : ids)
    BOOST_TEST(db->read(id)->value == "mine");
}

BOOST_AUTO_TEST_CASE(a_client_closed_mid_transaction_releases_its_locks) {
  test::server_process server;
  auto ids = ids_of("acct/", 3);
  auto db = connect_or_throw(server.port());
  auto leaver = connect_or_throw(server.port());
  {
    remote_txn txn{*leaver};
    BOOST_REQUIRE(!txn.begin_and_lock(ids, txn_opts(5s, 60s)));
    BOOST_TEST(locks_held(*db, ids));
    // The owner goes away without commit or abort, then its client closes.
  }
  leaver->close();
  leaver.reset();
  auto took = take_over(*db, ids, "mine");
  BOOST_TEST_MESSAGE("locks of the closed client taken over after "
                     << took.count() << " ms");
  BOOST_TEST(took.count() < 5000);
  for (auto& id : ids)
    BOOST_TEST(db->read(id)->value == "mine");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(hostile_bytes)

BOOST_AUTO_TEST_CASE(garbage_and_truncated_frames_do_not_disturb_clients) {
  test::server_process server;
  auto port = server.port();
  auto before = connect_or_throw(port, 10s); // connected before the abuse
  BOOST_REQUIRE(before->create("kept", "precious"));
  steady_user user{*before, "steady"};
  std::mt19937 rng{42};
  auto start = steady_clock::now();
  auto check_alive = [&](const char* what) {
    BOOST_TEST(server.running(), "entactd died after: " << what);
    BOOST_TEST(user.failures() == 0u,
               "client disturbed by " << what << ": " << user.first_failure());
  };

  // A connection that never says a word stays open all along.
  raw_conn silent{port};
  BOOST_TEST(silent.connected());

  // Random bytes, various lengths, some ending in a RST.
  for (int i = 0; i < 20; ++i) {
    raw_conn c{port};
    BOOST_REQUIRE(c.connected());
    c.send(random_bytes(rng, size_t{1} << (i % 16)));
    if (i % 2)
      c.reset();
  }
  check_alive("random bytes");

  // A plausible client handshake header, truncated at every length.
  auto hs = basp_header(basp_client_handshake, 64, basp_version);
  for (size_t n = 1; n < basp_header_size; ++n) {
    raw_conn c{port};
    c.send({hs.begin(), hs.begin() + static_cast<ptrdiff_t>(n)});
  }
  check_alive("truncated headers");

  // A whole handshake header whose payload is cut short, or is garbage.
  {
    raw_conn c{port};
    c.send(concat(hs, random_bytes(rng, 20)));
  }
  for (int i = 0; i < 10; ++i) {
    raw_conn c{port};
    c.send(concat(hs, random_bytes(rng, 64)));
    c.drain_until_closed(200ms);
  }
  check_alive("handshakes with garbage payloads");

  // Messages that are not allowed before a handshake, and unknown types.
  for (uint8_t op : {basp_direct_message, basp_server_handshake,
                     basp_heartbeat, uint8_t{0x05}, uint8_t{0x04},
                     uint8_t{0x07}, uint8_t{0xff}}) {
    raw_conn c{port};
    c.send(concat(basp_header(op, 48, basp_version, 1, 1),
                  random_bytes(rng, 48)));
    c.drain_until_closed(100ms);
  }
  {
    raw_conn c{port}; // heartbeats only, a burst of them
    std::vector<uint8_t> beats;
    for (int i = 0; i < 100; ++i)
      beats = concat(beats, basp_header(basp_heartbeat, 0, 0));
    c.send(beats);
  }
  check_alive("messages out of order");

  // Large declared payloads (64 MiB, far beyond any real request),
  // followed by a close, by a little and then a close, or by silence. (The
  // 4 GiB case is its own test below: CAF 0.17 allocates what a header
  // declares.)
  {
    raw_conn c{port};
    c.send(basp_header(basp_client_handshake, 64u << 20, basp_version));
  }
  raw_conn hanging{port}; // declares 64 MiB, sends 1 KiB, then waits
  hanging.send(concat(basp_header(basp_client_handshake, 64u << 20,
                                  basp_version),
                      random_bytes(rng, 1024)));
  {
    raw_conn c{port};
    c.send(concat(basp_header(basp_direct_message, 64u << 20, 0, 1, 1),
                  random_bytes(rng, 100)));
  }
  check_alive("huge declared payloads");

  // The server's own handshake, echoed back as a client handshake: a
  // well-formed payload claiming to be the server's own node.
  {
    raw_conn c{port};
    std::vector<uint8_t> hdr;
    std::vector<uint8_t> payload;
    if (c.recv_exact(hdr, basp_header_size)
        && c.recv_exact(payload, get_be32(hdr, 4))) {
      hdr[0] = basp_client_handshake;
      c.send(concat(hdr, payload));
      c.drain_until_closed(200ms);
    } else {
      BOOST_TEST_MESSAGE("no server handshake read; echo skipped");
    }
  }
  check_alive("its own handshake echoed");

  // Many connections opening and closing, some with a RST.
  for (int i = 0; i < 200; ++i) {
    raw_conn c{port};
    BOOST_REQUIRE(c.connected());
    if (i % 3 == 0)
      c.reset();
  }
  check_alive("200 connections opened and closed");

  // Still serving: the old client, a new one, and the data is intact.
  auto during = connect_or_throw(port, 10s); // while two raw conns hang
  BOOST_TEST(during->read("kept")->value == "precious");
  BOOST_TEST(code(during->create("during", "x")) == errc::none);
  hanging.close();
  silent.close();
  std::this_thread::sleep_for(100ms);
  user.stop();
  check_alive("everything");
  BOOST_TEST(user.ops() > 0u);
  BOOST_TEST(before->read("steady")->value == std::to_string(user.count()));
  BOOST_TEST(before->read("kept")->value == "precious");
  BOOST_TEST(code(before->write_unconditionally("after", "y")) == errc::none);
  auto after = connect_or_throw(port, 10s);
  BOOST_TEST(after->read("during")->value == "x");
  BOOST_TEST(after->read("after")->value == "y");
  BOOST_TEST(after->read("steady")->value == std::to_string(user.count()));
  BOOST_TEST_MESSAGE("abuse took "
                     << std::chrono::duration_cast<std::chrono::milliseconds>(
                          steady_clock::now() - start)
                          .count()
                     << " ms; the steady client made " << user.ops()
                     << " write+read rounds meanwhile");
  before.reset();
  during.reset();
  after.reset();
  BOOST_TEST(server.stop() == 0); // and it still shuts down cleanly
}

// CAF 0.17.6's BASP broker allocates and zero-fills whatever payload
// length a header declares, before a single payload byte arrives: one
// 32-byte header declaring 4 GiB made entactd's RSS reach 4.2 GB, and its
// I/O thread stalled for seconds meanwhile. entactd's frame guard (see
// test_remote_frame_guard) disconnects such a peer before BASP sees the
// header. This test declares 1 GiB, so that it stays affordable on a CI
// machine even if the guard fails.
BOOST_AUTO_TEST_CASE(a_huge_declared_payload_is_not_allocated) {
  test::server_process server;
  auto pid = child_named("entactd");
  BOOST_REQUIRE(pid > 0);
  auto db = connect_or_throw(server.port(), 10s);
  BOOST_REQUIRE(db->create("x", "1"));
  auto base = peak_rss_kib(pid);
  raw_conn c{server.port()};
  c.send(basp_header(basp_client_handshake, 1u << 30, basp_version));
  std::this_thread::sleep_for(20ms);
  auto start = steady_clock::now();
  auto r = db->read("x"); // right behind it, on another connection
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
    steady_clock::now() - start);
  BOOST_TEST(code(r) == errc::none);
  std::this_thread::sleep_for(1s);
  auto peak = peak_rss_kib(pid);
  BOOST_TEST_MESSAGE("a header declaring 1 GiB: entactd's peak RSS "
                     << base / 1024 << " -> " << peak / 1024
                     << " MiB; a read behind it took " << took.count()
                     << " ms");
  c.close();
  BOOST_TEST(server.running());
  BOOST_TEST(peak - base < 256u * 1024, "peak RSS grew by " << (peak - base) / 1024 << " MiB");
  BOOST_TEST(took.count() < 100, "a read stalled " << took.count() << " ms");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(limits)

BOOST_AUTO_TEST_CASE(oversized_requests_are_refused_and_change_nothing) {
  test::server_process server{{"--max-value-bytes=1000",
                               "--max-txn-entities=4"}};
  auto db = connect_or_throw(server.port());
  const std::string fits(1000, 'a');
  const std::string over(1001, 'b');
  BOOST_REQUIRE(db->create("v", fits));
  BOOST_TEST(code(db->create("w", over)) == errc::too_large);
  BOOST_TEST(code(db->read("w")) == errc::not_found);
  BOOST_TEST(code(db->update("v", 1, over)) == errc::too_large);
  BOOST_TEST(code(db->write_unconditionally("v", over)) == errc::too_large);
  // Far over the limit: the whole 8 MiB crosses the wire and is refused.
  BOOST_TEST(code(db->write_unconditionally("v", std::string(8 << 20, 'c')))
             == errc::too_large);
  BOOST_TEST(db->read("v")->version == 1u);
  BOOST_TEST(db->read("v")->value == fits);

  // Transactions: too many entities, or an oversized staged value.
  auto five = ids_of("t/", 5);
  auto four = ids_of("t/", 4);
  bool ran = false;
  auto too_many = db->transact(five, [&](transaction& t) {
    ran = true;
    return t.put("t/0", "x");
  });
  BOOST_TEST(code(too_many) == errc::too_large);
  BOOST_TEST(!ran);
  auto big_value = db->transact(four, [&](transaction& t) {
    t.put("t/0", "small");
    return t.put("t/1", over);
  });
  BOOST_TEST(code(big_value) == errc::too_large);
  // Batches: too many ops, or one oversized value.
  std::vector<write_op> five_ops;
  for (auto& id : five)
    five_ops.push_back(write_op::create(id, "x"));
  BOOST_TEST(code(db->apply_batch(five_ops)) == errc::too_large);
  BOOST_TEST(code(db->apply_batch({write_op::create("t/0", "x"),
                                   write_op::create("t/1", over)}))
             == errc::too_large);
  auto all = db->read_many(five);
  BOOST_REQUIRE(all);
  for (auto& rec : *all)
    BOOST_TEST(rec.version == no_version, rec.id << " was written");

  // The same connection is fine afterwards: limits are per request.
  auto ok = db->transact(four, [&](transaction& t) {
    for (auto& id : four)
      if (auto err = t.put(id, fits))
        return err;
    return caf::error{};
  });
  BOOST_TEST(code(ok) == errc::none);
  std::vector<write_op> four_ops;
  for (auto& id : ids_of("b/", 4))
    four_ops.push_back(write_op::create(id, fits));
  BOOST_TEST(code(db->apply_batch(four_ops)) == errc::none);
  BOOST_TEST(db->update("v", 1, "smaller")->version == 2u);
  BOOST_TEST(db->read("t/3")->value == fits);
  BOOST_TEST(server.running());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(server_crash)

BOOST_AUTO_TEST_CASE(writes_acknowledged_before_a_crash_survive_it) {
  test::server_process server;
  auto db = connect_or_throw(server.port(), 10s);
  constexpr int writers = 4;
  std::mutex mtx;
  // Sequential versioned updates, one counter per writer thread: the last
  // value acknowledged to each, and the one still in flight at the crash.
  std::array<uint64_t, writers> acked{};
  std::array<uint64_t, writers> tried{};
  // Asynchronous creates, thousands in flight: the ids acknowledged.
  std::vector<std::string> acked_async;
  std::atomic<int> async_pending{0};
  std::atomic<int> async_failed{0};
  std::atomic<bool> stop{false};
  std::atomic<int> unexpected{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w) {
    auto id = "ctr/" + std::to_string(w);
    BOOST_REQUIRE(db->create(id, "0"));
    threads.emplace_back([&, w, id] {
      version_t v = 1;
      for (uint64_t n = 1; !stop; ++n) {
        {
          std::lock_guard<std::mutex> guard{mtx};
          tried[w] = n;
        }
        auto r = db->update(id, v, std::to_string(n));
        if (!r) {
          auto c = code_of(r.error());
          if (c != errc::unreachable && c != errc::timeout)
            ++unexpected;
          return; // the server is gone
        }
        v = r->version;
        std::lock_guard<std::mutex> guard{mtx};
        acked[w] = n;
      }
    });
  }
  threads.emplace_back([&] {
    for (int i = 0; !stop && i < 100000; ++i) {
      ++async_pending;
      auto id = "async/" + std::to_string(i);
      db->apply_async(write_op::create(id, id),
                      [&, id](caf::expected<record> r) {
                        if (r) {
                          std::lock_guard<std::mutex> guard{mtx};
                          acked_async.push_back(id);
                        } else {
                          ++async_failed;
                        }
                        --async_pending;
                      });
      while (async_pending > 500 && !stop)
        std::this_thread::sleep_for(1ms);
    }
  });
  // Crash once enough has been acknowledged (bounded wait).
  auto deadline = steady_clock::now() + 20s;
  bool enough = false;
  while (!enough && steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
    std::lock_guard<std::mutex> guard{mtx};
    enough = acked_async.size() >= 1000
             && *std::min_element(acked.begin(), acked.end()) >= 20;
  }
  BOOST_TEST(enough);
  server.crash(); // SIGKILL with writes in flight
  auto crashed = steady_clock::now();
  stop = true;
  // Every call in flight ends with an error, not a hang.
  for (auto& th : threads)
    th.join();
  auto drain_deadline = steady_clock::now() + 20s;
  while (async_pending > 0 && steady_clock::now() < drain_deadline)
    std::this_thread::sleep_for(5ms);
  BOOST_TEST(async_pending == 0);
  BOOST_TEST(unexpected == 0);
  auto drained = steady_clock::now() - crashed;
  BOOST_TEST_MESSAGE("calls in flight at the crash all failed within "
                     << std::chrono::duration_cast<std::chrono::milliseconds>(
                          drained).count() << " ms");
  BOOST_TEST((drained < 5s));
  // A new call on the old client fails: the connection is known lost.
  // (Calls that skip the gateways wait out the request timeout instead: see
  // every_call_fails_fast_once_the_server_is_gone below.)
  BOOST_TEST(code(db->write_unconditionally("ctr/0", "x"))
             == errc::unreachable);
  db.reset();

  server.restart();
  auto fresh = connect_or_throw(server.port(), 10s);
  for (int w = 0; w < writers; ++w) {
    auto rec = fresh->read("ctr/" + std::to_string(w));
    BOOST_REQUIRE(rec);
    auto stored = std::stoull(rec->value);
    // Every acknowledged update is there; the one in flight at the crash
    // may or may not have landed, nothing beyond it.
    BOOST_TEST(stored >= acked[w], "writer " << w);
    BOOST_TEST(stored <= tried[w], "writer " << w);
    BOOST_TEST(rec->version == stored + 1);
  }
  size_t missing = 0;
  std::vector<entity_id> chunk;
  auto check_chunk = [&] {
    auto recs = fresh->read_many(chunk);
    BOOST_REQUIRE(recs);
    for (size_t i = 0; i < chunk.size(); ++i)
      if (!(*recs)[i].exists() || (*recs)[i].value != chunk[i])
        ++missing;
    chunk.clear();
  };
  for (auto& id : acked_async) {
    chunk.push_back(id);
    if (chunk.size() == 1000)
      check_chunk();
  }
  if (!chunk.empty())
    check_chunk();
  BOOST_TEST(missing == 0u);
  BOOST_TEST_MESSAGE(acked_async.size()
                     << " async creates acknowledged before the crash, "
                     << async_failed << " failed with it; counters at "
                     << acked[0] << "/" << acked[1] << "/" << acked[2] << "/"
                     << acked[3]);
}

// Once the server is gone every call fails at once with `unreachable`,
// whether it was under way or made afterwards: every call goes through the
// client's gateways, which monitor the server. (CAF 0.17 silently drops
// messages sent to a dead remote proxy, so a call that waited on the
// server directly would wait out its request_timeout.)
BOOST_AUTO_TEST_CASE(every_call_fails_fast_once_the_server_is_gone) {
  test::server_process server;
  auto db = connect_or_throw(server.port(), 2s);
  BOOST_REQUIRE(db->create("x", "1"));
  // A reader keeps a read_many in flight: the one under way at the crash
  // must end promptly too.
  std::atomic<bool> reading{true};
  std::atomic<int64_t> last_call_ms{-1};
  std::atomic<errc> last_code{errc::none};
  std::thread reader{[&] {
    while (reading) {
      auto start = steady_clock::now();
      auto r = db->read_many({"x"});
      last_call_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       steady_clock::now() - start)
                       .count();
      if (!r) {
        last_code = code_of(r.error());
        return;
      }
    }
  }};
  std::this_thread::sleep_for(100ms);
  server.crash();
  std::this_thread::sleep_for(200ms); // the connection's end is seen
  reading = false;
  reader.join();
  BOOST_TEST_MESSAGE("read_many in flight at the crash: " << last_code.load()
                     << " after " << last_call_ms << " ms");
  BOOST_TEST(last_code.load() == errc::unreachable);
  BOOST_TEST(last_call_ms < 1000);
  using call = std::function<errc()>;
  std::vector<std::pair<const char*, call>> calls{
    {"get", [&] { return code(db->get("x")); }},
    {"update", [&] { return code(db->update("x", 1, "2")); }},
    {"read", [&] { return code(db->read("x")); }},
    {"read_many", [&] { return code(db->read_many({"x"})); }},
    {"apply_batch",
     [&] { return code(db->apply_batch({write_op::update("x", 1, "2")})); }},
    {"stats", [&] { return code(db->stats()); }},
    {"transact", [&] {
       return code(db->transact({"x"}, [](transaction& t) {
         return t.put("x", "2");
       }));
     }}};
  for (auto& [name, f] : calls) {
    auto start = steady_clock::now();
    auto c = f();
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      steady_clock::now() - start);
    BOOST_TEST_MESSAGE(name << " after the crash: " << c << " after "
                            << took.count() << " ms");
    BOOST_TEST(c == errc::unreachable, name << ": " << c);
    BOOST_TEST(took.count() < 1000, name << " took " << took.count()
                                         << " ms");
  }
  server.restart();
}

// Both halves of a transaction end promptly when the server goes: a lock
// wait under way, and a commit after a body that was running at the time.
BOOST_AUTO_TEST_CASE(transactions_under_way_fail_fast_when_the_server_dies) {
  test::server_process server;
  auto holder = connect_or_throw(server.port(), 30s);
  auto waiter = connect_or_throw(server.port(), 30s);
  BOOST_REQUIRE(holder->create("x", "1"));
  std::atomic<bool> in_body{false};
  std::atomic<bool> crashed{false};
  caf::expected<std::vector<record>> held = std::vector<record>{};
  caf::expected<std::vector<record>> waited = std::vector<record>{};
  std::atomic<int64_t> held_ms{-1};
  std::atomic<int64_t> waited_ms{-1};
  auto since = [](steady_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
             steady_clock::now() - t)
      .count();
  };
  std::thread body_thread{[&] {
    held = holder->transact({"x"}, [&](transaction& t) {
      in_body = true;
      while (!crashed)
        std::this_thread::sleep_for(1ms);
      return t.put("x", "2");
    });
  }};
  while (!in_body)
    std::this_thread::sleep_for(1ms);
  std::thread wait_thread{[&] {
    txn_options old_and_patient;
    old_and_patient.age = 1; // older than the holder: it waits, not dies
    old_and_patient.lock_wait = 30s;
    auto start = steady_clock::now();
    waited = waiter->transact(
      {"x"}, [](transaction& t) { return t.put("x", "3"); },
      old_and_patient);
    waited_ms = since(start);
  }};
  std::this_thread::sleep_for(200ms); // the waiter is queued on the lock
  server.crash();
  std::this_thread::sleep_for(200ms); // the connection's end is seen
  auto start = steady_clock::now();
  crashed = true;
  body_thread.join();
  held_ms = since(start);
  wait_thread.join();
  BOOST_TEST_MESSAGE("commit after the crash: " << code(held) << " after "
                     << held_ms << " ms; lock wait under way: "
                     << code(waited) << " after " << waited_ms << " ms");
  BOOST_TEST(code(held) == errc::unreachable);
  BOOST_TEST(held_ms < 1000);
  BOOST_TEST(code(waited) == errc::unreachable);
  BOOST_TEST(waited_ms < 1500); // 200 ms queued + 200 ms to notice
  server.restart();
}

BOOST_AUTO_TEST_SUITE_END()
