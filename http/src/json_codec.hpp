#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "entact/conflict.hpp"
#include "entact/record.hpp"

namespace entact::http {

/// Values are bytes; JSON strings are Unicode. A value that is valid UTF-8
/// travels as `"<key>": "<text>"`, any other as `"<key>_base64": "..."`
/// (RFC 4648 base64 with padding), so a reader always gets the exact bytes.
void put_value(nlohmann::json& obj, const std::string& key,
               const std::string& value);

/// `{"id", "version", "deleted", "value" | "value_base64"}`.
nlohmann::json record_json(const record& r);

/// A JSON array of `record_json`s, in order.
nlohmann::json records_json(const std::vector<record>& recs);

/// `{"id", "version", "deleted"}`: what a write answers (no value echoed).
nlohmann::json written_json(const record& r);

/// The conflict payload, member by member as `conflict_of` gives it:
/// `id`, `expected_version`, `stored` (a `record_json`), `attempted_kind`
/// and `attempted_value` (or `attempted_value_base64`).
nlohmann::json conflict_json(const conflict& c);

/// Decodes RFC 4648 base64 (with padding); false if `text` is not that.
bool decode_base64(const std::string& text, std::string& out);

} // namespace entact::http
