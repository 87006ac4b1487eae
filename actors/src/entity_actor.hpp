#pragma once

#include <unordered_map>

#include <caf/typed_response_promise.hpp>

#include "internal.hpp"

namespace entact::detail {

struct entity_state {
  /// The newest committed record seen (`no_version` if none).
  record cache;
  uint64_t next_seq = 0;
  /// Writes handed to the store and not yet answered, by sequence number.
  std::unordered_map<uint64_t, caf::typed_response_promise<record>> pending;
  static inline const char* name = "entact.entity";
};

/// Spawns nothing by itself: the behavior of the actor that owns entity
/// `id`. It loads the committed record once, answers reads from that cache,
/// and hands every write to the store, which re-checks the version against
/// storage (the cache is never the authority). Results come back in order
/// and update the cache, conflicts included (they carry the stored record).
entity_actor::behavior_type
entity(entity_actor::stateful_pointer<entity_state> self, entity_id id,
       const entity_context* ctx);

} // namespace entact::detail
