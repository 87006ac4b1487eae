#pragma once

#include <caf/expected.hpp>

#include "entact/operation.hpp"

namespace entact::detail {

/// The operations `modify` may name: the built-ins and an embedding
/// service's own. Fixed when the engine opens, read-only after, so entity
/// actors read it from any thread without a lock.
class operation_registry {
public:
  /// The built-ins plus `user`. Errors: `invalid_argument` for a bad name,
  /// an empty function, or a name that is a built-in's.
  static caf::expected<operation_registry> make(const operation_map& user);

  /// The operation `name`, or null if none is registered under it.
  const operation_fn* find(const std::string& name) const;

private:
  operation_map ops_;
};

/// The built-in operations, by name: `add`, `append`, `set_if_version`.
operation_map builtin_operations();

} // namespace entact::detail
