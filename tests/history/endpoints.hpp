#pragma once

// The engines the history tests record against: an embedded engine that
// can be closed and reopened between phases, and real entactd processes
// that can be killed and restarted on their data directory.

#include <chrono>
#include <condition_variable>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "entact/client.hpp"
#include "entact/engine.hpp"
#include "history/campaign.hpp"
#include "history/workload.hpp"
#include "support/engine_fixture.hpp"
#include "support/remote_client.hpp"
#include "support/server_process.hpp"

namespace entact::test::history {

/// An embedded engine on a temporary directory; `restart` closes and
/// reopens it (only while no worker runs).
class engine_endpoint : public endpoint, public engine_fixture {
public:
  explicit engine_endpoint(const engine_options& tuning) {
    auto path = opts.path;
    opts = tuning;
    opts.path = path;
    reopen();
  }

  database& db(int) override {
    return *eng;
  }

  void restart() {
    reopen();
  }
};

/// An entactd and a few clients shared by the workers (thread t uses
/// client t % n). `crash_and_restart` kills the server (SIGKILL),
/// restarts it on the same data directory and connects new clients;
/// workers that lost theirs wait in `reconnect` for them.
class remote_endpoint : public endpoint {
public:
  remote_endpoint(std::vector<std::string> server_args, int clients)
    : server_(std::move(server_args)), n_(clients) {
    connect();
  }

  database& db(int thread) override {
    std::lock_guard<std::mutex> guard{mtx_};
    used_[thread] = generation_;
    return *clients_[static_cast<size_t>(thread % n_)];
  }

  bool reconnect(int thread) override {
    std::unique_lock<std::mutex> guard{mtx_};
    auto back = [&] { return broken_ || generation_ > used_[thread]; };
    return changed_.wait_for(guard, std::chrono::seconds{30}, back)
           && !broken_;
  }

  /// False if the server did not come back (workers then stop).
  bool crash_and_restart() {
    try {
      server_.crash();
      server_.restart();
      connect();
      return true;
    } catch (const std::exception&) {
      std::lock_guard<std::mutex> guard{mtx_};
      broken_ = true;
      changed_.notify_all();
      return false;
    }
  }

private:
  void connect() {
    std::vector<std::unique_ptr<client>> fresh;
    for (int i = 0; i < n_; ++i)
      fresh.push_back(connect_or_throw(server_.port()));
    std::lock_guard<std::mutex> guard{mtx_};
    // Old clients stay alive: workers may still be inside their calls.
    for (auto& c : clients_)
      retired_.push_back(std::move(c));
    clients_ = std::move(fresh);
    ++generation_;
    changed_.notify_all();
  }

  server_process server_;
  int n_;
  std::mutex mtx_;
  std::condition_variable changed_;
  uint64_t generation_ = 0;
  bool broken_ = false;
  std::map<int, uint64_t> used_;
  std::vector<std::unique_ptr<client>> clients_;
  std::vector<std::unique_ptr<client>> retired_;
};

/// Options of an embedded engine under a history test: no fsync (the
/// order of what is read, not durability, is under test); with a
/// `resident_cap`, passivation pressure too: at most that many entity
/// actors, and idle ones passivated after 3 ms.
inline engine_options history_options(size_t resident_cap = 0) {
  engine_options opts;
  opts.sync = false;
  if (resident_cap > 0) {
    opts.resident_cap = resident_cap;
    opts.idle_timeout = std::chrono::milliseconds{3};
  }
  return opts;
}

/// `rounds` rounds of `w` against an embedded engine opened with `tuning`
/// (its path aside), each of `phases` phases with a close and reopen of
/// the engine between them.
inline campaign record_embedded(const std::string& name,
                                const engine_options& tuning,
                                const workload& w, int rounds,
                                int phases = 1) {
  engine_endpoint ep{tuning};
  campaign c;
  c.name = name;
  round_hooks hooks;
  hooks.phases = phases;
  hooks.between = [&](int) { ep.restart(); };
  for (int r = 0; r < rounds; ++r)
    c.add(run_round(ep, w, r, hooks, static_cast<unsigned>(r + 1)));
  return c;
}

/// `rounds` rounds of `w` through `clients` clients of an entactd started
/// with `server_args`; `during` (if given) runs beside the workers of each
/// round (see `round_hooks::during`).
inline campaign record_remote(
  const std::string& name, std::vector<std::string> server_args, int clients,
  const workload& w, int rounds,
  std::function<void(remote_endpoint&, recording&)> during = nullptr) {
  remote_endpoint ep{std::move(server_args), clients};
  campaign c;
  c.name = name;
  round_hooks hooks;
  if (during)
    hooks.during = [&](recording& rec, int) { during(ep, rec); };
  for (int r = 0; r < rounds; ++r)
    c.add(run_round(ep, w, r, hooks, static_cast<unsigned>(r + 1)));
  return c;
}

} // namespace entact::test::history
