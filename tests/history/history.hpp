#pragma once

// What a linearizability check reads: per key, the operations that touched
// it, each with its invocation and response time and what the caller saw.

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "entact/record.hpp"

namespace entact::test::history {

/// Nanoseconds since the start of a recording (steady clock).
using nanos = int64_t;

/// The response time of an operation whose outcome is unknown: it may take
/// effect at any moment after its invocation, or never.
constexpr nanos never = std::numeric_limits<nanos>::max();

/// The public call an operation came from (for counts and reports).
enum class api : uint8_t {
  get,
  read,
  read_many,
  update,
  create,
  erase,
  write_unconditionally,
  apply_async,
  apply_batch,
  transact,
  modify,
};

constexpr int api_count = 11;

const char* to_string(api x) noexcept;

/// What an operation does to one key, in the model's terms: a read, or one
/// of the write kinds of `entact::op_kind` (a transaction's write becomes
/// the versioned op it commits as, see `make_ops` in txn_actor.cpp).
enum class action : uint8_t {
  read,
  update_if_version,
  create_if_absent,
  erase_if_version,
  write_unconditionally,
  /// `modify(id, "append", arg)`: the stored value (empty if absent or
  /// deleted) followed by `value` (the argument), at version + 1, never
  /// refused. Its result depends on the state it finds: what the checker
  /// must get right when several are coalesced into one store write.
  modify_append,
};

/// How an operation ended, as far as its caller knows.
enum class outcome : uint8_t {
  /// A read observed `seen`; a write took effect and `seen` is the record
  /// it wrote.
  ok,
  /// A read got `not_found`: absent or deleted, at a version not told.
  absent,
  /// A write was refused with a conflict: the stored version differed from
  /// the expected one (a create: the entity existed). No effect.
  conflict,
  /// An update or erase was refused with `not_found`: the stored version
  /// was the expected one, but absent or deleted. No effect.
  not_found,
  /// A write may or may not have taken effect (timeout, in_doubt,
  /// unreachable, in flight at a crash); its response is `never`.
  unknown,
};

/// One operation projected onto one key. A call on several keys
/// (read_many, apply_batch, transact) gives one per key, with one id.
struct key_op {
  uint64_t id = 0;
  int thread = 0;
  api call = api::get;
  action act = action::read;
  /// The version an update or erase names.
  version_t expected = no_version;
  /// The value a write stores (none for an erase; a modification's
  /// argument).
  std::string value;
  outcome res = outcome::ok;
  /// With `ok`: the record read, or the record written.
  record seen;
  nanos invoke = 0;
  nanos response = 0;
  /// Ops of the same key (by id) that must take effect before this one
  /// beyond real time: the caller's session order (see `recorder.hpp`).
  std::vector<uint64_t> after;
};

/// Every operation on one key, in any order.
struct key_history {
  std::string key;
  std::vector<key_op> ops;
};

/// "update(v82, \"t3-5\")", "get", "apply_async create(\"t1-9\")", ...
std::string describe_call(const key_op& op);

/// "v83 \"t5-118\"", "v7 deleted", "absent or deleted", "conflict", ...
std::string describe_outcome(const key_op& op);

} // namespace entact::test::history
