// Fuzz target: the 2PC record codecs (storage/src/prepared_codec.cpp),
// which decode what RocksDB hands back for a prepared transaction
// ('p' + txn), a decision ('d' + txn) and a spanning batch's intent
// ('i' + span) at engine start and on every decision query: a damaged
// store is untrusted input too.
//
// Input: the first byte picks the record (even: prepared; 1 mod 4:
// decision; 3 mod 4: intent), the rest is the stored bytes, read under the
// key of transaction `fuzz-txn` (of span 7 for an intent). Asserted,
// besides "no crash": a record that decodes encodes back to exactly the
// same bytes (encode(decode(x)) == x), a prepared one names the key's
// transaction and holds at least one write that `validate` accepts, a
// decision is commit or abort, an intent names the key's span and holds
// parts of records with ids and versions; a refusal is `storage_failure`.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string_view>

#include "entact/errc.hpp"
#include "prepared_codec.hpp"

namespace {

using namespace entact;
using namespace entact::storage;

constexpr std::string_view txn = "fuzz-txn";

[[noreturn]] void fail(const char* what) {
  fprintf(stderr, "fuzz_prepared_codec: %s\n", what);
  abort();
}

template <class T>
void check_refusal(const caf::expected<T>& x) {
  if (code_of(x.error()) != errc::storage_failure)
    fail("a refused record is not a storage_failure");
}

void prepared(std::string_view bytes) {
  auto t = detail::decode_prepared(txn, bytes);
  if (!t)
    return check_refusal(t);
  if (t->txn != txn)
    fail("a decoded prepared record names another transaction");
  if (t->writes.empty())
    fail("a decoded prepared record holds no writes");
  limits any_size;
  any_size.max_id_bytes = std::numeric_limits<size_t>::max();
  any_size.max_value_bytes = std::numeric_limits<size_t>::max();
  for (const auto& w : t->writes)
    if (validate(w.op, any_size))
      fail("a decoded prepared record holds an invalid write");
  auto again = detail::encode_prepared(*t);
  if (!again || *again != bytes)
    fail("encode_prepared(decode_prepared(x)) != x");
}

void decided(std::string_view bytes) {
  auto d = detail::decode_decision(txn, bytes);
  if (!d)
    return check_refusal(d);
  if (d->outcome != decision::commit && d->outcome != decision::abort)
    fail("a decoded decision is neither commit nor abort");
  auto again = detail::encode_decision(*d);
  if (!again || *again != bytes)
    fail("encode_decision(decode_decision(x)) != x");
}

void intent(std::string_view bytes) {
  auto key = detail::intent_key(7);
  auto x = detail::decode_intent(key, bytes);
  if (!x)
    return check_refusal(x);
  if (x->span != 7 || x->parts.empty())
    fail("a decoded intent names another span or holds no parts");
  for (const auto& part : x->parts)
    for (const auto& rec : part.records)
      if (rec.id.empty() || rec.version == no_version)
        fail("a decoded intent holds a record without id or version");
  auto again = detail::encode_intent(*x);
  if (!again || *again != bytes)
    fail("encode_intent(decode_intent(x)) != x");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0)
    return 0;
  std::string_view bytes{reinterpret_cast<const char*>(data) + 1, size - 1};
  if (data[0] % 2 == 0)
    prepared(bytes);
  else if (data[0] % 4 == 1)
    decided(bytes);
  else
    intent(bytes);
  return 0;
}
