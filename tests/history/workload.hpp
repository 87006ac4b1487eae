#pragma once

// Threads that hammer a few shared entities with every kind of call and
// record what they saw (see recorder.hpp), in rounds the checker then
// reads.

#include <chrono>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "entact/database.hpp"
#include "history/recorder.hpp"

namespace entact::test::history {

/// Where the workers' calls go. The remote tests reconnect through it
/// after their server was killed.
class endpoint {
public:
  virtual ~endpoint() = default;

  /// The database thread `thread` calls now.
  virtual database& db(int thread) = 0;

  /// A call of `thread` failed with `unreachable`: waits until calls may
  /// work again. False: the worker stops.
  virtual bool reconnect(int thread) {
    (void) thread;
    return false;
  }
};

/// How often a worker picks each move (relative weights). Most moves end
/// with a `get` of a key just read or written: the shape of issue 15.
struct mix {
  int get = 4;
  /// read, then get, of one key.
  int read_then_get = 8;
  /// read_many of every key, then get of one.
  int read_many_then_get = 4;
  /// A blocking update (after a read, half the time), create (after an
  /// erase, half the time), erase (after a read) or unconditional write,
  /// each followed by a get.
  int update = 6;
  int create = 3;
  int erase = 2;
  int unconditional = 3;
  /// apply_async of a write, then get (sometimes read first) of its key.
  int async_then_get = 8;
  /// apply_batch of two writes, then get of one of the keys.
  int batch_then_get = 5;
  /// A 2-entity transaction, then get of one of the keys.
  int transact_then_get = 5;
  /// `modify(append)` of a key, then get of it: a read-modify-write inside
  /// the entity, coalesced with others queued there.
  int modify_then_get = 4;
};

struct workload {
  int threads = 8;
  int keys = 3;
  /// Moves per worker and phase.
  int moves = 40;
  mix weights;
};

/// `threads` workers sharing `moves` moves per phase between them.
inline workload spread(int threads, int moves) {
  workload w;
  w.threads = threads;
  w.moves = moves / threads;
  return w;
}

/// What one round recorded.
struct round_record {
  std::vector<key_history> histories;
  tally counts;
  /// Workers that stopped early (could not reconnect).
  int stopped = 0;
  std::chrono::milliseconds elapsed{0};
};

/// Hooks of a round beyond the moves themselves.
struct round_hooks {
  /// Phases per round; `between(phase)` runs after every phase but the
  /// last, with all workers stopped and their async calls answered.
  int phases = 1;
  std::function<void(int phase)> between;
  /// Runs on the calling thread beside the workers of every phase (it may
  /// crash and restart a server); gets the recording to wait on.
  std::function<void(recording& rec, int phase)> during;
};

/// Runs one round on fresh keys ("<prefix><round>/k0", ...) and returns
/// its histories.
round_record run_round(endpoint& ep, const workload& w, int round,
                       const round_hooks& hooks, unsigned seed);

} // namespace entact::test::history
