#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>

#include "entact/entity_id.hpp"

// The wire vocabulary of an engine as a two-phase-commit participant and
// decision holder (README, "Two-phase commit: participant").

namespace entact {

/// What `(prepare_atom, txn, writes, txn_prepare)` is told besides the
/// writes: the global name of the transaction (storage's transaction-id
/// rules: the entity-id charset, at most 64 bytes), every participant's
/// name and the name of the one holding the decision record (opaque,
/// e.g. "host:port"; compared with `engine_options::twopc_name`).
struct txn_prepare {
  std::string name;
  std::vector<std::string> participants;
  std::string decision_holder;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, txn_prepare& x) {
  return f(caf::meta::type_name("entact::txn_prepare"), x.name,
           x.participants, x.decision_holder);
}

/// What a decision holder answers about a transaction name. Values are
/// stable (they cross process boundaries).
enum class twopc_outcome : uint8_t {
  /// Prepared at the holder and not decided yet: ask again later.
  undecided = 0,
  commit = 1,
  abort = 2,
};

const char* to_string(twopc_outcome x) noexcept;

/// A transaction prepared at an engine and not yet decided, as
/// `(prepared_atom)` lists it (for operators: `entact cluster status`).
struct prepared_info {
  std::string name;
  /// The ids it holds: its writes.
  std::vector<entity_id> ids;
  std::vector<std::string> participants;
  std::string decision_holder;
  /// When it prepared (ms since the Unix epoch) and how long ago that was
  /// when the list was made.
  int64_t created_ms = 0;
  int64_t age_ms = 0;
  /// How often the engine has asked the decision holder so far, and what
  /// the last answer was: "" (not asked yet), "undecided", or the error
  /// (e.g. the holder unreachable), at most `max_last_answer_bytes`.
  uint64_t asks = 0;
  std::string last_answer;
};

/// The longest `prepared_info::last_answer` (longer ones are cut).
constexpr size_t max_last_answer_bytes = 256;

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, prepared_info& x) {
  return f(caf::meta::type_name("entact::prepared_info"), x.name, x.ids,
           x.participants, x.decision_holder, x.created_ms, x.age_ms,
           x.asks, x.last_answer);
}

/// A decision holder's decision records (README, "Two-phase commit:
/// participant"): how many it keeps, and its sweep's work so far
/// (`engine::decision_stats`; local only, not registered for the wire).
struct decision_stats {
  /// Decision records in the store now (commit and abort).
  uint64_t kept = 0;
  /// Sweeps run, participants asked (each answer or error counts), and
  /// commit decisions deleted because no participant held them prepared.
  uint64_t sweeps = 0;
  uint64_t checks = 0;
  uint64_t forgotten = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, decision_stats& x) {
  return f(caf::meta::type_name("entact::decision_stats"), x.kept, x.sweeps,
           x.checks, x.forgotten);
}

} // namespace entact
