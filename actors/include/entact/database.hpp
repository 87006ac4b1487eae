#pragma once

#include <functional>
#include <future>
#include <string>

#include <caf/expected.hpp>

#include "entact/conflict.hpp"
#include "entact/errc.hpp"
#include "entact/record.hpp"
#include "entact/write_op.hpp"

namespace entact {

/// Receives the outcome of an asynchronous call. Runs on one of the
/// engine's threads: it must not block.
using record_callback = std::function<void(caf::expected<record>)>;

/// What a user of entities sees, embedded or remote: reads, versioned
/// writes, and their asynchronous forms. Every call is thread-safe.
///
/// Errors are `caf::error`s of entact's category; `code_of(err)` gives the
/// `errc`, and `conflict_of(err)` the payload of a conflict.
class database {
public:
  virtual ~database() = default;

  /// The committed record of `id`, through its entity actor (so it is
  /// ordered after this caller's earlier writes to `id`). Errors:
  /// `not_found` (absent or deleted), `invalid_argument`/`too_large` (bad
  /// id), `timeout`, `closed`.
  virtual caf::expected<record> get(const entity_id& id) = 0;

  /// The committed record of `id`, read straight from storage without
  /// queueing behind writes: never older than the last write acknowledged
  /// to anyone. Same errors as `get`.
  virtual caf::expected<record> read(const entity_id& id) = 0;

  /// Applies `op` and waits for the outcome: the new record once durable,
  /// or `conflict` (payload via `conflict_of`), `not_found`,
  /// `invalid_argument`, `too_large`, `version_overflow`, `overloaded`,
  /// `storage_failure`, `in_doubt`, `timeout`, `closed`.
  virtual caf::expected<record> apply(write_op op) = 0;

  /// Applies `op` without waiting; `done` gets what `apply` would return.
  /// Thousands of these may be in flight at once.
  virtual void apply_async(write_op op, record_callback done) = 0;

  /// `apply_async` as a future.
  std::future<caf::expected<record>> apply_future(write_op op);

  /// Replaces the value if the stored version is `expected`.
  caf::expected<record> update(const entity_id& id, version_t expected,
                               std::string value);

  /// Creates the entity if it is absent or deleted (continuing the version
  /// sequence after a tombstone); `conflict` if it exists.
  caf::expected<record> create(const entity_id& id, std::string value);

  /// Deletes the entity if the stored version is `expected`, leaving a
  /// tombstone; returns the tombstone.
  caf::expected<record> erase(const entity_id& id, version_t expected);

  /// Last-write-wins: replaces whatever is stored, without a version check.
  /// This is how updates get lost; use it only when that is intended.
  caf::expected<record> write_unconditionally(const entity_id& id,
                                              std::string value);
};

} // namespace entact
