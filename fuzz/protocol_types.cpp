// Fuzz target: CAF deserialisation of each type of entact's wire contract
// (protocol/include/entact/*.hpp), one at a time, and the checks the
// server and the client run on what they receive.
//
// Input: [type:u8][bytes]: the first byte picks the type (mod the number
// of types, see `types` below), the rest is what a
// `caf::binary_deserializer` reads into it. Asserted, besides "no crash":
// - a value that deserialises serialises again, and the copy
//   deserialises to a value that serialises to the same bytes (and is
//   equal, where the type has `==`);
// - `validate_id` accepts exactly the non-empty ids within the length
//   limit made of `is_id_char` characters; `validate` and
//   `validate_read` never accept a bad id.
// An error (caf::error, as replies carry them) is also rendered and
// searched for the conflict or record a refusal carries.

#include <cmath>
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/error.hpp>

#include "caf_quirks.hpp"
#include "entact/conflict.hpp"
#include "entact/engine_stats.hpp"
#include "entact/entity_id.hpp"
#include "entact/errc.hpp"
#include "entact/not_found.hpp"
#include "entact/record.hpp"
#include "entact/register_types.hpp"
#include "entact/scan.hpp"
#include "entact/txn.hpp"
#include "entact/write_op.hpp"

namespace {

using namespace entact;

/// One actor system for the whole run, never destroyed: CAF 0.17's
/// actor_system crashes when it is torn down among the exit handlers.
caf::actor_system& fuzz_system() {
  static auto* sys = new caf::actor_system{*new config};
  return *sys;
}

[[noreturn]] void fail(const char* what) {
  fprintf(stderr, "fuzz_protocol_types: %s\n", what);
  abort();
}

template <class T>
std::vector<char> save(T& x) {
  std::vector<char> buf;
  caf::binary_serializer sink{fuzz_system(), buf};
  if (sink(x))
    fail("a deserialised value does not serialise");
  return buf;
}

template <class T>
bool load(const char* data, size_t size, T& x) {
  return fuzz::load_unless_config_value_throws(data, size, [&] {
    caf::binary_deserializer source{fuzz_system(), data, size};
    return !source(x);
  });
}

/// The checks a receiver runs; each must agree with the rules it states.
void check_id(const entity_id& id) {
  limits lim;
  bool valid = !id.empty() && id.size() <= lim.max_id_bytes
               && std::all_of(id.begin(), id.end(), is_id_char);
  if (valid != !validate_id(id, lim))
    fail("validate_id disagrees with the id rules");
}

void check(const entity_id& id) {
  check_id(id);
}

void check(const record& r) {
  check_id(r.id);
}

void check(const write_op& op) {
  check_id(op.id);
  if (!validate(op, limits{}) && validate_id(op.id, limits{}))
    fail("validate accepted a write with a bad id");
}

void check(const std::vector<entity_id>& ids) {
  limits lim;
  bool any_bad = std::any_of(ids.begin(), ids.end(), [&](auto& id) {
    return static_cast<bool>(validate_id(id, lim));
  });
  if (!validate_read(ids, lim) && any_bad)
    fail("validate_read accepted a bad id");
}

void check(const std::vector<write_op>& ops) {
  for (auto& op : ops)
    check(op);
}

void check(const caf::error& err) {
  auto text = fuzz_system().render(err);
  if (err && text.empty())
    fail("an error renders as nothing");
  if (auto c = conflict_of(err))
    check_id(c->id);
  if (auto r = stored_of(err))
    check_id(r->id);
  (void) cause_of(err);
}

template <class T>
void check(const T&) {
  // Nothing beyond the round trip for this type.
}

// CAF 0.17's serializer loops forever on an infinite double (see
// caf_quirks.hpp): a value whose doubles came from hostile bytes is not
// serialised again. (A server only ever sends its own, finite ones.)
template <class T>
bool holds_non_finite(const T&) {
  return false;
}

bool non_finite(const bucket_counts& b) {
  for (auto x : b.bounds)
    if (!std::isfinite(x))
      return true;
  return !std::isfinite(b.sum);
}

bool holds_non_finite(const engine_stats& x) {
  return non_finite(x.group_batches) || non_finite(x.commit_seconds);
}

template <class T>
void round_trip(const char* data, size_t size) {
  T first;
  if (!load(data, size, first))
    return;
  check(first);
  if (fuzz::may_hold_floating_point(data, size) || holds_non_finite(first))
    return; // an error's context may hold anything
  auto bytes = save(first);
  T second;
  if (!load(bytes.data(), bytes.size(), second))
    fail("a re-serialised value does not deserialise");
  if (save(second) != bytes)
    fail("a value changed on its way through serialisation");
  if constexpr (std::is_same_v<T, record>
                || std::is_same_v<T, std::vector<record>>
                || std::is_same_v<T, std::vector<entity_id>>)
    if (!(first == second))
      fail("a record changed on its way through serialisation");
}

using loader = void (*)(const char*, size_t);

// The request types a server reads (interfaces.hpp), then the reply types
// a client reads. Append only: the seed corpus names types by index.
constexpr loader types[] = {
  round_trip<entity_id>,
  round_trip<write_op>,
  round_trip<std::vector<entity_id>>,
  round_trip<std::vector<write_op>>,
  round_trip<txn_options>,
  round_trip<std::vector<txn_write>>,
  round_trip<txn_id>,
  round_trip<op_kind>,
  round_trip<txn_write>,
  round_trip<record>,
  round_trip<std::vector<record>>,
  round_trip<conflict>,
  round_trip<engine_stats>,
  round_trip<txn_handle>,
  round_trip<txn_begun>,
  round_trip<caf::error>,
  round_trip<scan_request>, // its page's optional cursor is loaded by hand
  round_trip<scan_page>,
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0)
    return 0;
  constexpr size_t count = sizeof(types) / sizeof(types[0]);
  types[data[0] % count](reinterpret_cast<const char*>(data + 1), size - 1);
  return 0;
}
