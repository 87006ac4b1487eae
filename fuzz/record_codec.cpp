// Fuzz target: the storage record codec (storage/src/record_codec.cpp),
// which decodes the bytes RocksDB hands back for an entity key (a damaged
// or foreign store is untrusted input too).
//
// Input: the stored bytes. Asserted, besides "no crash": a record that
// decodes keeps the id it was read under and encodes back to exactly the
// same bytes (encode(decode(x)) == x for every accepted x); a refusal is
// `storage_failure`.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "entact/errc.hpp"
#include "entact/storage/record_codec.hpp"

namespace {

[[noreturn]] void fail(const char* what) {
  fprintf(stderr, "fuzz_record_codec: %s\n", what);
  abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace entact;
  std::string_view bytes{reinterpret_cast<const char*>(data), size};
  constexpr std::string_view id = "fuzz/entity";
  auto rec = storage::decode_record(id, bytes);
  if (!rec) {
    if (code_of(rec.error()) != errc::storage_failure)
      fail("a refused record is not a storage_failure");
    return 0;
  }
  if (rec->id != id)
    fail("a decoded record lost its id");
  if (storage::encode_record(*rec) != bytes)
    fail("encode(decode(x)) != x");
  return 0;
}
