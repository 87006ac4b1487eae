#pragma once

#include <cstdint>

#include <caf/meta/type_name.hpp>

namespace entact {

/// Counters of an engine's router, for operators and tests.
struct engine_stats {
  /// Entity actors currently alive.
  uint64_t resident = 0;
  /// Entity actors spawned since the engine opened.
  uint64_t activations = 0;
  /// Entity actors stopped because they were idle or over the resident cap.
  uint64_t passivations = 0;
  /// Modifications (`modify`) acknowledged as committed.
  uint64_t modifications = 0;
  /// Store writes that carried them: fewer than `modifications` when
  /// modifications queued at one entity were coalesced.
  uint64_t modify_writes = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, engine_stats& x) {
  return f(caf::meta::type_name("entact::engine_stats"), x.resident,
           x.activations, x.passivations, x.modifications, x.modify_writes);
}

} // namespace entact
