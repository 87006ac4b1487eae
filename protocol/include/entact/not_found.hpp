#pragma once

#include <optional>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "entact/record.hpp"

namespace entact {

/// Wraps `stored` into an `errc::not_found` error: the record found where
/// an entity was asked for, a tombstone (`stored.deleted`, with its version)
/// or `version == no_version` for an entity that never existed. Every
/// `not_found` entact reports about an entity carries it, over the wire too.
caf::error make_not_found_error(record stored);

/// `r` if it exists, else `errc::not_found` carrying `r`.
caf::expected<record> existing(record r);

/// True if `err` is an `errc::not_found`.
bool is_not_found(const caf::error& err) noexcept;

/// The stored record a refusal carries: the tombstone or version-0 record of
/// a `not_found`, or `conflict::stored` of a `conflict`; `std::nullopt` for
/// any other error (or a `not_found` without a record).
std::optional<record> stored_of(const caf::error& err);

} // namespace entact
