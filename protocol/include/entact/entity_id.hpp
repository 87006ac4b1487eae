#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <caf/error.hpp>

#include "entact/limits.hpp"

namespace entact {

/// An entity id is a non-empty string of at most `limits::max_id_bytes`
/// bytes drawn from ASCII letters, digits and `- _ . : / @ + = # ~`.
/// The charset keeps ids printable in logs and the CLI, and unambiguous in
/// RocksDB keys; everything else is refused with `errc::invalid_argument`.
using entity_id = std::string;

/// Returns true if `c` may appear in an entity id.
bool is_id_char(char c) noexcept;

/// Returns an empty error if `id` is valid under `lim`, otherwise
/// `errc::invalid_argument` (empty, bad character) or `errc::too_large`.
caf::error validate_id(std::string_view id, const limits& lim = {});

/// Returns an empty error if one committed read may name `ids` under `lim`:
/// at most `lim.max_read_ids` of them (else `errc::too_large`), each valid
/// (see `validate_id`).
caf::error validate_read(const std::vector<entity_id>& ids,
                         const limits& lim);

} // namespace entact
