#pragma once

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "entact/atoms.hpp"
#include "entact/engine_stats.hpp"
#include "entact/record.hpp"
#include "entact/write_op.hpp"

namespace entact {

/// What every holder of entities answers: an entity actor for its own id,
/// the engine's router for any id. Errors travel as `caf::error` of
/// entact's category (see `errc`).
///
/// - `(get_atom, id) -> record`: the committed record; `errc::not_found` if
///   the entity is absent or deleted, `errc::invalid_argument`/`too_large`
///   for a bad id.
/// - `(write_atom, op) -> record`: the new record once durable with the
///   configured sync; `errc::conflict` (payload in the context),
///   `not_found`, `invalid_argument`, `too_large`, `version_overflow`,
///   `overloaded`, `storage_failure` or `in_doubt`.
using entity_api
  = caf::typed_actor<caf::replies_to<get_atom, entity_id>::with<record>,
                     caf::replies_to<write_atom, write_op>::with<record>>;

/// The engine's router: `entity_api` for any id, plus counters.
using router_api = entity_api::extend<
  caf::replies_to<stats_atom>::with<engine_stats>>;

} // namespace entact
