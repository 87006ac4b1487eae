#pragma once

// Traffic on the ids of a moving shard, for the shard-move tests: counters
// incremented with `modify add` (acknowledged adds counted, and adds of
// unknown outcome apart), and a reader that checks that no id's version
// ever goes back. Each on a thread of its own, through any `database`.

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "entact/database.hpp"
#include "entact/errc.hpp"

namespace entact::test {

/// `modify add 1` on each of `ids` in turn, until stopped.
class counter_adder {
public:
  counter_adder(database& db, std::vector<std::string> ids)
    : db_(db), ids_(std::move(ids)) {
    thread_ = std::thread{[this] { run(); }};
  }

  ~counter_adder() {
    stop();
  }

  void stop() {
    stopping_ = true;
    if (thread_.joinable())
      thread_.join();
  }

  /// Adds acknowledged / of unknown outcome (lost in flight) so far.
  uint64_t acked(const std::string& id) const {
    std::lock_guard<std::mutex> guard{mtx_};
    auto i = acked_.find(id);
    return i == acked_.end() ? 0 : i->second;
  }

  uint64_t unknown(const std::string& id) const {
    std::lock_guard<std::mutex> guard{mtx_};
    auto i = unknown_.find(id);
    return i == unknown_.end() ? 0 : i->second;
  }

  /// Failures that say "not applied" (`unavailable`, `wrong_node`).
  uint64_t refused() const {
    return refused_.load();
  }

private:
  void run() {
    while (!stopping_)
      for (auto& id : ids_) {
        auto r = db_.modify(modify_op{id, "add", "1"});
        auto code = r ? errc::none : code_of(r.error());
        std::lock_guard<std::mutex> guard{mtx_};
        if (r)
          ++acked_[id];
        else if (code == errc::unreachable || code == errc::timeout
                 || code == errc::in_doubt)
          ++unknown_[id];
        else
          ++refused_;
        std::this_thread::sleep_for(std::chrono::milliseconds{1});
      }
  }

  database& db_;
  std::vector<std::string> ids_;
  mutable std::mutex mtx_;
  std::map<std::string, uint64_t> acked_;
  std::map<std::string, uint64_t> unknown_;
  std::atomic<uint64_t> refused_{0};
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

/// Reads `ids` in turn until stopped; counts every read that saw a version
/// older than one an earlier read of the same id saw.
class monotonic_reader {
public:
  monotonic_reader(database& db, std::vector<std::string> ids)
    : db_(db), ids_(std::move(ids)) {
    thread_ = std::thread{[this] { run(); }};
  }

  ~monotonic_reader() {
    stop();
  }

  void stop() {
    stopping_ = true;
    if (thread_.joinable())
      thread_.join();
  }

  uint64_t backwards() const {
    return backwards_.load();
  }

  uint64_t reads() const {
    return reads_.load();
  }

private:
  void run() {
    std::map<std::string, version_t> seen;
    while (!stopping_)
      for (auto& id : ids_) {
        auto r = db_.get(id);
        if (r) {
          ++reads_;
          if (r->version < seen[id])
            ++backwards_;
          seen[id] = std::max(seen[id], r->version);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds{1});
      }
  }

  database& db_;
  std::vector<std::string> ids_;
  std::atomic<uint64_t> backwards_{0};
  std::atomic<uint64_t> reads_{0};
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

} // namespace entact::test
