#pragma once

// A linearizability checker for entact's versioned registers (Wing & Gong,
// with Lowe's memoisation as in Porcupine and Knossos).
//
// The model of one key is its record {version, value, deleted}; version 0
// means "never existed". Writes follow entact's version rule exactly
// (protocol/src/decide.cpp): an update or erase applies iff the stored
// version is the expected one and the entity exists, a create iff it is
// absent or deleted, an unconditional write always; every applied write
// stores version + 1, an erase a tombstone. A refused write is a no-op that
// requires the refusal's condition (conflict: version != expected, or the
// entity exists for a create; not_found: version == expected, but absent or
// deleted). A read requires the state it returned (a `not_found` read only
// "absent or deleted"). A write with an unknown outcome may take effect at
// any point after its invocation, or never.
//
// Keys are checked one at a time: a call on several keys (read_many from
// one snapshot, apply_batch, a 2-entity transaction) is projected onto each
// key and the projections are checked independently. That misses
// violations that only show across keys (a torn snapshot), but it is sound
// for what it reports and it is what found issue 15.

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "history/history.hpp"

namespace entact::test::history {

enum class verdict : uint8_t {
  linearizable,
  not_linearizable,
  /// The search ran out of its step budget: neither verdict is proven.
  undecided,
};

const char* to_string(verdict x) noexcept;

inline std::ostream& operator<<(std::ostream& os, verdict x) {
  return os << to_string(x);
}

struct check_options {
  /// Most search configurations to expand before giving up (`undecided`).
  uint64_t step_budget = 2'000'000;
  /// Honour `key_op::after` (the session order) besides real time.
  bool session_order = true;
};

struct check_result {
  verdict v = verdict::undecided;
  /// Configurations expanded.
  uint64_t steps = 0;
};

/// Checks that `h` has a linearization consistent with the model.
check_result check(const key_history& h, const check_options& opts = {});

/// Why a history is not linearizable, in a form short enough to read.
struct explanation {
  /// The reads and refused writes that still admit no linearization
  /// together with all the key's writes (the rest dropped: dropping a read
  /// only removes a constraint, so they fail for a reason the full history
  /// has too); if none are left (the writes alone fail), the writes open
  /// where the search got stuck.
  std::vector<key_op> core;
  /// Writes around the core: those that wrote what the core saw, the
  /// versions next to them (what a stale read missed), the writes a core
  /// operation had to wait for in session order, and those open where
  /// the search got stuck.
  std::vector<key_op> context;
  /// True if the history fails only with the session order: real time
  /// alone allows it (a get did not wait for the caller's own earlier
  /// asynchronous write).
  bool session_only = false;
  /// How far the search got in the cut-down history: operations
  /// linearized of those with a known outcome, and the record there.
  size_t linearized = 0;
  size_t total = 0;
  record stuck_at;
};

/// Cuts a non-linearizable `h` down to an explanation (empty core if `h`
/// is linearizable or undecided).
explanation explain(const key_history& h, const check_options& opts = {});

/// The explanation as lines like the issue's: times in ms since the start
/// of the recording, thread, call id, call and outcome.
std::string render(const std::string& key, const explanation& e);

} // namespace entact::test::history
