#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "entact/record.hpp"
#include "entact/txn.hpp"

namespace entact {

/// What the body of `database::transact` sees: the committed records of
/// the locked entities and the writes it stages. Nothing is written until
/// the body returns without error; then all staged writes commit
/// atomically, or none do.
class transaction {
public:
  /// Made by `transact` from the records it locked.
  explicit transaction(const std::vector<record>& locked);

  /// The record of `id` as this transaction sees it: its own staged write if
  /// any, else the committed record read under the lock (`version ==
  /// no_version` if absent, `deleted` for a tombstone). `invalid_argument`
  /// if `id` is not locked by this transaction.
  caf::expected<record> get(const entity_id& id) const;

  /// Stages a write of `value` to locked entity `id` (creating it if
  /// absent or deleted). A later put or erase of the same id replaces it.
  /// `invalid_argument` if `id` is not locked.
  caf::error put(const entity_id& id, std::string value);

  /// Stages a delete of locked entity `id`.
  caf::error erase(const entity_id& id);

  /// The staged writes, one per id, in the order first staged.
  std::vector<txn_write> writes() const;

private:
  caf::error stage(txn_write w);

  std::map<entity_id, record> locked_;
  std::vector<txn_write> writes_;
};

/// The body of a transaction: reads and stages writes; returning an error
/// aborts the transaction (nothing written) and `transact` returns it.
using txn_body = std::function<caf::error(transaction&)>;

} // namespace entact
