#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <caf/error.hpp>
#include <caf/meta/type_name.hpp>

#include "entact/record.hpp"
#include "entact/write_op.hpp"

// Two-phase commit at one participant's store (README, "Two-phase commit:
// storage"): a prepared transaction is staged writes made durable without
// being applied, so that a crash between the vote and the decision loses
// neither; a decision record is the outcome kept by the decision holder.

namespace entact::storage {

/// Bounds of the 2PC records, the same in every build: a record written
/// under them is always read back.
/// Longest transaction id, in bytes (charset: that of entity ids).
constexpr size_t max_txn_id_bytes = 64;
/// Most participants a transaction names, and the longest name of a
/// participant or of the decision holder (opaque, e.g. "host:port").
constexpr size_t max_participants = 64;
constexpr size_t max_participant_bytes = 256;

/// One staged write and the stored version it was decided against.
struct prepared_write {
  write_op op;
  /// The version stored when the transaction prepared (`no_version`: it
  /// never existed). Commit applies `op` on top of exactly this version.
  version_t base_version = no_version;
};

inline bool operator==(const prepared_write& x, const prepared_write& y) {
  return x.op.kind == y.op.kind && x.op.id == y.op.id
         && x.op.expected_version == y.op.expected_version
         && x.op.value == y.op.value && x.base_version == y.base_version;
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, prepared_write& x) {
  return f(caf::meta::type_name("entact::prepared_write"), x.op,
           x.base_version);
}

/// A transaction prepared at this store: its writes are decided and
/// durable, their ids held (no other write or prepare may touch them) until
/// `commit_prepared` or `abort_prepared`.
struct prepared_txn {
  std::string txn;
  std::vector<prepared_write> writes;
  /// Every participant of the transaction, and the one that holds its
  /// decision record: opaque to storage, for recovery to ask.
  std::vector<std::string> participants;
  std::string decision_holder;
  /// When it prepared: milliseconds since the Unix epoch (system clock),
  /// for operators to see how long it has been in doubt.
  int64_t created_ms = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, prepared_txn& x) {
  return f(caf::meta::type_name("entact::prepared_txn"), x.txn, x.writes,
           x.participants, x.decision_holder, x.created_ms);
}

/// What `store::prepare` is asked for.
struct prepare_request {
  std::string txn;
  std::vector<write_op> ops;
  std::vector<std::string> participants;
  std::string decision_holder;
};

/// The outcome a decision holder recorded.
enum class decision : uint8_t {
  /// No record: never decided, or forgotten once every participant
  /// acknowledged. Under presumed abort an undecided transaction whose
  /// coordinator is gone aborts -- the caller's rule, not storage's.
  none = 0,
  commit = 1,
  abort = 2,
};

const char* to_string(decision x) noexcept;

/// A decision record as `store::decisions` lists it.
struct decision_info {
  std::string txn;
  decision outcome = decision::none;
  /// The participants it was recorded with (the holder among them when it
  /// is one; "unknown" for a presumed abort of a name never seen).
  std::vector<std::string> participants;
  /// When it was recorded: milliseconds since the Unix epoch.
  int64_t created_ms = 0;
};

/// Most records one `store::decisions` call returns.
constexpr size_t max_decisions_listed = 256;

/// Returns an empty error if `txn` is a valid transaction id: non-empty, at
/// most `max_txn_id_bytes`, the entity-id charset. Errors:
/// `invalid_argument`, `too_large`.
caf::error validate_txn_id(std::string_view txn);

/// Returns an empty error if `names` (participants) and `holder` are within
/// the bounds above, every name non-empty. Errors: `invalid_argument`,
/// `too_large`.
caf::error validate_participants(const std::vector<std::string>& names,
                                 std::string_view holder);

/// RocksDB keys of 2PC records (see record_codec.hpp for the layout):
/// `'p' + txn` a prepared transaction, `'d' + txn` a decision. Their first
/// byte keeps them apart from every entity key (`'e' + id`), whatever the
/// id.
std::string prepared_key(std::string_view txn);
std::string decision_key(std::string_view txn);

} // namespace entact::storage
