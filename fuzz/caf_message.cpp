// Fuzz target: the payload of a BASP direct message, deserialised as CAF
// 0.17's BASP does it for a message that passed the frame guard
// (caf/io/basp/remote_message_handler.hpp): a `caf::binary_deserializer`
// reads the forwarding stack (`std::vector<strong_actor_ptr>`) and the
// `caf::message`, whose elements are looked up by type name in the actor
// system's registry: entact's whole wire contract (register_types) and
// CAF's built-in types. What the seed corpus holds: every request the
// server's face accepts (see protocol/include/entact/interfaces.hpp).
//
// Asserted, besides "no crash": what deserialises re-serialises, and the
// copy deserialises to a value that serialises to the same bytes (not for
// floating-point values; nor does a config_value CAF throws on count as a
// crash: see caf_quirks.hpp).
//
// No proxy registry here (no middleman): an actor pointer to another node
// is refused as BASP's would be to a node it cannot reach; the frame
// guard's checks of the header come first in the server anyway.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include <caf/actor_control_block.hpp>
#include <caf/actor_system.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/message.hpp>

#include "caf_quirks.hpp"
#include "entact/register_types.hpp"

namespace {

/// One actor system for the whole run, never destroyed: CAF 0.17's
/// actor_system crashes when it is torn down among the exit handlers.
caf::actor_system& fuzz_system() {
  static auto* sys = new caf::actor_system{*new entact::config};
  return *sys;
}

[[noreturn]] void fail(const char* what) {
  fprintf(stderr, "fuzz_caf_message: %s\n", what);
  abort();
}

struct payload {
  std::vector<caf::strong_actor_ptr> stages;
  caf::message msg;
};

/// Reads `bytes` as BASP reads a direct message's payload; false if CAF
/// refuses them.
bool load(const char* data, size_t size, payload& out) {
  return entact::fuzz::load_unless_config_value_throws(data, size, [&] {
    caf::binary_deserializer source{fuzz_system(), data, size};
    return !source(out.stages, out.msg);
  });
}

std::vector<char> save(payload& x) {
  std::vector<char> buf;
  caf::binary_serializer sink{fuzz_system(), buf};
  if (sink(x.stages, x.msg))
    fail("a deserialised message does not serialise");
  return buf;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  payload first;
  auto bytes_in = reinterpret_cast<const char*>(data);
  if (!load(bytes_in, size, first)
      || entact::fuzz::may_hold_floating_point(bytes_in, size))
    return 0;
  auto bytes = save(first);
  payload second;
  if (!load(bytes.data(), bytes.size(), second))
    fail("a re-serialised message does not deserialise");
  if (save(second) != bytes)
    fail("a message changed on its way through serialisation");
  return 0;
}
