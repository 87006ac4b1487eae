#pragma once

#include <caf/atom.hpp>

namespace entact {

/// Reads the committed record of an entity.
using get_atom = caf::atom_constant<caf::atom("e_get")>;

/// Applies a `write_op`.
using write_atom = caf::atom_constant<caf::atom("e_write")>;

/// Asks for `engine_stats`.
using stats_atom = caf::atom_constant<caf::atom("e_stats")>;

} // namespace entact
