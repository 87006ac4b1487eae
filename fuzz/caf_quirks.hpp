#pragma once

// What the fuzz targets leave out because CAF 0.17.6 itself gets it wrong
// in a way no entact server reaches (the frame guard refuses messages with
// types other than those of a request, see network/src/basp_check.*).

#include <algorithm>
#include <cstddef>
#include <string_view>

namespace entact::fuzz {

/// True if `bytes` may hold a floating-point value somewhere (its type's
/// name, or a config_value, which may hold a double, is in them; CAF
/// writes every type name of a message as text). CAF's serializer loops
/// forever on an infinity (caf/detail/ieee_754.hpp: pack754 halves the
/// value until it is below 2), and its deserializer can make one from
/// hostile bytes: the round trip of such a value hangs, so the targets
/// only deserialise it.
inline bool may_hold_floating_point(const char* data, size_t size) {
  std::string_view bytes{data, size};
  for (std::string_view name : {"double", "float", "@ldouble", "@config_value"})
    if (bytes.find(name) != std::string_view::npos)
      return true;
  return false;
}

} // namespace entact::fuzz
