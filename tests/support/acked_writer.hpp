#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "entact/conflict.hpp"
#include "entact/database.hpp"

namespace entact::test {

/// Versioned updates of a few ids, round robin on a thread of its own, that
/// remember what was acknowledged: per id the last acknowledged record, and
/// the values written since whose outcome is unknown (`unreachable`,
/// `timeout`, `in_doubt`: they may or may not be stored). `check` then tells
/// whether the store holds exactly what the acknowledgements say.
class acked_writer {
public:
  /// What the writer saw of one id.
  struct entity_log {
    version_t version = no_version;
    std::string value;
    std::set<std::string> unknown;
    uint64_t acks = 0;
    /// Failed calls by error code.
    std::map<errc, uint64_t> failures;
  };

  /// Creates every id (value "0") through `db`, then starts updating them.
  /// Throws if a create fails.
  acked_writer(database& db, std::vector<std::string> ids)
    : db_(db), ids_(std::move(ids)) {
    for (auto& id : ids_) {
      auto made = db_.create(id, "0");
      if (!made)
        throw std::runtime_error("create " + id + ": "
                                 + to_string(made.error()));
      log_[id].version = made->version;
      log_[id].value = "0";
    }
    thread_ = std::thread{[this] { run(); }};
  }

  ~acked_writer() {
    stop();
  }

  acked_writer(const acked_writer&) = delete;
  acked_writer& operator=(const acked_writer&) = delete;

  void stop() {
    stopping_ = true;
    if (thread_.joinable())
      thread_.join();
  }

  /// A copy of what the writer saw of `id`.
  entity_log log_of(const std::string& id) const {
    std::lock_guard<std::mutex> guard{mtx_};
    return log_.at(id);
  }

  /// Acknowledged updates of `id` so far.
  uint64_t acks(const std::string& id) const {
    return log_of(id).acks;
  }

  /// Conflicts whose stored value the writer never wrote (a foreign or a
  /// lost write: must stay 0).
  uint64_t strange() const {
    return strange_.load();
  }

  /// Empty if `db` holds for every id what the acknowledgements say (the
  /// last acknowledged record, or one of the values of unknown outcome
  /// written after it); else what differs. Call after `stop`.
  std::string check(database& db) const {
    std::string out;
    for (auto& id : ids_) {
      auto log = log_of(id);
      auto r = db.read(id);
      if (!r) {
        out += id + ": " + to_string(r.error()) + "\n";
        continue;
      }
      bool acked = r->version == log.version && r->value == log.value;
      bool later = r->version > log.version && log.unknown.count(r->value);
      if (!acked && !later)
        out += id + ": stored v" + std::to_string(r->version) + " '"
               + r->value + "', acknowledged v" + std::to_string(log.version)
               + " '" + log.value + "'\n";
    }
    return out;
  }

private:
  void run() {
    uint64_t seq = 0;
    while (!stopping_)
      for (auto& id : ids_) {
        if (stopping_)
          break;
        update(id, "w" + std::to_string(++seq));
        // Pacing only: leaves the two cores to the nodes.
        std::this_thread::sleep_for(std::chrono::milliseconds{1});
      }
  }

  void update(const std::string& id, const std::string& value) {
    version_t base = 0;
    {
      std::lock_guard<std::mutex> guard{mtx_};
      base = log_[id].version;
    }
    auto r = db_.update(id, base, value);
    std::lock_guard<std::mutex> guard{mtx_};
    auto& log = log_[id];
    if (r) {
      log.version = r->version;
      log.value = value;
      log.unknown.clear();
      ++log.acks;
      return;
    }
    auto code = code_of(r.error());
    ++log.failures[code];
    if (code == errc::unreachable || code == errc::timeout
        || code == errc::in_doubt) {
      log.unknown.insert(value);
      return;
    }
    if (auto c = conflict_of(r.error())) {
      // An update of unknown outcome was stored after all: go on from it.
      if (!log.unknown.count(c->stored.value))
        ++strange_;
      log.version = c->stored.version;
      log.value = c->stored.value;
      log.unknown.clear();
    }
  }

  database& db_;
  std::vector<std::string> ids_;
  mutable std::mutex mtx_;
  std::map<std::string, entity_log> log_;
  std::atomic<uint64_t> strange_{0};
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

} // namespace entact::test
