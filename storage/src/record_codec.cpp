#include "entact/storage/record_codec.hpp"

#include "entact/errc.hpp"

namespace entact::storage {

namespace {

constexpr uint8_t deleted_flag = 0x01;

// Format byte, flags byte, 8 version bytes.
constexpr size_t header_size = 10;

void put_u64_be(std::string& out, uint64_t x) {
  for (int shift = 56; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((x >> shift) & 0xFF));
}

uint64_t get_u64_be(std::string_view bytes) {
  uint64_t x = 0;
  for (size_t i = 0; i < 8; ++i)
    x = (x << 8) | static_cast<uint8_t>(bytes[i]);
  return x;
}

} // namespace

std::string entity_key(std::string_view id) {
  std::string key;
  key.reserve(id.size() + 1);
  key.push_back('e');
  key.append(id);
  return key;
}

std::string entity_keys_end(std::string_view prefix) {
  // The key prefix with its last byte incremented (trailing 0xFF bytes
  // dropped first; ids are ASCII, and 'e' itself is never 0xFF).
  auto end = entity_key(prefix);
  while (static_cast<uint8_t>(end.back()) == 0xFF)
    end.pop_back();
  end.back() = static_cast<char>(static_cast<uint8_t>(end.back()) + 1);
  return end;
}

std::string_view id_of_key(std::string_view key) {
  return key.substr(1);
}

std::string format_key() {
  return "mformat";
}

std::string encode_record(const record& r) {
  std::string out;
  out.reserve(header_size + r.value.size());
  out.push_back(static_cast<char>(format_version));
  out.push_back(static_cast<char>(r.deleted ? deleted_flag : 0));
  put_u64_be(out, r.version);
  out.append(r.value);
  return out;
}

caf::expected<record> decode_record(std::string_view id,
                                    std::string_view bytes) {
  if (bytes.size() < header_size)
    return make_error(errc::storage_failure,
                      "truncated record of " + std::string{id} + " ("
                        + std::to_string(bytes.size()) + " bytes)");
  auto format = static_cast<uint8_t>(bytes[0]);
  if (format != format_version)
    return make_error(errc::storage_failure,
                      "record of " + std::string{id}
                        + " has unknown format version "
                        + std::to_string(format));
  auto flags = static_cast<uint8_t>(bytes[1]);
  if ((flags & ~deleted_flag) != 0)
    return make_error(errc::storage_failure,
                      "record of " + std::string{id} + " has unknown flags "
                        + std::to_string(flags));
  record r;
  r.id = std::string{id};
  r.deleted = (flags & deleted_flag) != 0;
  r.version = get_u64_be(bytes.substr(2, 8));
  r.value = std::string{bytes.substr(header_size)};
  return r;
}

} // namespace entact::storage
