#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <caf/expected.hpp>

#include "entact/record.hpp"

namespace entact::storage {

/// Layout of RocksDB keys (one column family):
/// - `'e' + id`    an entity record;
/// - `'m' + name`  store metadata, e.g. `"mformat"` holding the format byte;
/// - `'p' + txn`   a prepared transaction, `'d' + txn` a decision record
///   (two-phase commit, see prepared.hpp).
/// The one-byte prefix keeps entity scans apart from everything else.
std::string entity_key(std::string_view id);

/// The least key after every entity key whose id starts with `prefix`
/// (for `prefix` empty: after every entity key, and before every metadata
/// key): a scan's `iterate_upper_bound`.
std::string entity_keys_end(std::string_view prefix);

/// The id of entity key `key` (which starts with `'e'`).
std::string_view id_of_key(std::string_view key);

/// Key of the format-version metadata entry.
std::string format_key();

/// The record encoding this build writes.
constexpr uint8_t format_version = 1;

/// The format entry of a store that has held 2PC records: its entity
/// records are still `format_version`, but a build that does not know
/// prepared transactions must refuse it (it would write over ids they
/// hold). Every 2PC write sets it, in the same atomic write.
constexpr uint8_t twopc_format_version = 2;

/// Encoding of a record value (format 1):
/// `[format:u8][flags:u8 (bit 0 = deleted)][version:u64 big-endian][value]`.
/// The id is not repeated: it is the key.
std::string encode_record(const record& r);

/// Decodes `bytes` stored under the key of `id`. Errors:
/// `storage_failure` for a truncated record or an unknown format byte.
caf::expected<record> decode_record(std::string_view id,
                                    std::string_view bytes);

} // namespace entact::storage
