#include "json_codec.hpp"

#include <openssl/evp.h>

namespace entact::http {

namespace {

/// nlohmann's strict dump refuses invalid UTF-8: the library decides.
bool is_utf8(const std::string& s) {
  try {
    (void) nlohmann::json(s).dump();
    return true;
  } catch (const nlohmann::json::type_error&) {
    return false;
  }
}

std::string encode_base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  auto n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                           reinterpret_cast<const unsigned char*>(bytes.data()),
                           static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

} // namespace

void put_value(nlohmann::json& obj, const std::string& key,
               const std::string& value) {
  if (is_utf8(value))
    obj[key] = value;
  else
    obj[key + "_base64"] = encode_base64(value);
}

nlohmann::json record_json(const record& r) {
  auto obj = written_json(r);
  put_value(obj, "value", r.value);
  return obj;
}

nlohmann::json records_json(const std::vector<record>& recs) {
  auto out = nlohmann::json::array();
  for (const auto& rec : recs)
    out.push_back(record_json(rec));
  return out;
}

nlohmann::json written_json(const record& r) {
  return {{"id", r.id}, {"version", r.version}, {"deleted", r.deleted}};
}

nlohmann::json conflict_json(const conflict& c) {
  nlohmann::json obj{{"id", c.id},
                     {"expected_version", c.expected_version},
                     {"stored", record_json(c.stored)},
                     {"attempted_kind", to_string(c.attempted_kind)}};
  put_value(obj, "attempted_value", c.attempted_value);
  return obj;
}

bool decode_base64(const std::string& text, std::string& out) {
  // EVP_DecodeBlock skips surrounding blanks and pads the output with the
  // zero bytes that `=` stands for: demand the canonical form, then trim.
  if (text.size() % 4 != 0)
    return false;
  for (char c : text)
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
      return false;
  out.assign(text.size() / 4 * 3, '\0');
  auto n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                           reinterpret_cast<const unsigned char*>(text.data()),
                           static_cast<int>(text.size()));
  if (n < 0)
    return false;
  size_t pad = 0;
  if (!text.empty() && text.back() == '=')
    pad = text[text.size() - 2] == '=' ? 2 : 1;
  out.resize(static_cast<size_t>(n) - pad);
  return true;
}

} // namespace entact::http
