#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>

#include "entact/storage/prepared.hpp"

namespace entact::storage::detail {

/// A decision holder's record of one outcome.
struct decision_record {
  decision outcome = decision::none;
  std::vector<std::string> participants;
  int64_t created_ms = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, decision_record& x) {
  return f(caf::meta::type_name("entact::decision_record"), x.outcome,
           x.participants, x.created_ms);
}

/// The part of a spanning batch one partition writes (span_steps.cpp).
struct span_part {
  uint32_t partition = 0;
  std::vector<record> records;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, span_part& x) {
  return f(caf::meta::type_name("entact::span_part"), x.partition,
           x.records);
}

/// A spanning batch's intent, recorded at its lead partition in the same
/// atomic write as the lead's own part: the records every other partition
/// writes, so that recovery can finish what a crash cut short.
struct span_intent {
  uint64_t span = 0;
  std::vector<span_part> parts;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, span_intent& x) {
  return f(caf::meta::type_name("entact::span_intent"), x.span, x.parts);
}

/// `'i'` + the span's number in 16 hex digits: an intent's key (sorting
/// after every entity key and apart from the other record kinds).
std::string intent_key(uint64_t span);
std::string intent_prefix();

caf::expected<std::string> encode_intent(const span_intent& x);

/// Decodes the intent stored under `key`. Errors: `storage_failure` (as
/// the other records; also another span than the key's, a part without
/// records, a record without a version).
caf::expected<span_intent> decode_intent(std::string_view key,
                                         std::string_view bytes);

/// Encodings of the 2PC records: `[format:u8]` then the record in CAF's
/// binary serialisation (the inspect overloads of prepared.hpp). Errors:
/// `storage_failure` (CAF refused, which it does not for these types).
caf::expected<std::string> encode_prepared(const prepared_txn& t);
caf::expected<std::string> encode_decision(const decision_record& d);

/// Decodes the record stored under the key of `txn`. Errors:
/// `storage_failure` for anything that is not what this build writes: an
/// unknown format byte, truncated or trailing bytes, another txn id than
/// the key's, no writes, an invalid op, two writes of one id based on
/// different versions, an unknown outcome.
caf::expected<prepared_txn> decode_prepared(std::string_view txn,
                                            std::string_view bytes);
caf::expected<decision_record> decode_decision(std::string_view txn,
                                               std::string_view bytes);

/// Milliseconds since the Unix epoch, for `created_ms`.
int64_t now_ms();

} // namespace entact::storage::detail
