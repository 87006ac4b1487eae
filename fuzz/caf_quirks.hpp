#pragma once

// What the fuzz targets leave out because CAF 0.17.6 itself gets it wrong
// in a way no entact server reaches (the frame guard refuses messages with
// types other than those of a request, see network/src/basp_check.*).

#include <cstddef>
#include <stdexcept>
#include <string_view>

namespace entact::fuzz {

/// True if `bytes` name `type` (CAF writes every type name of a message as
/// text).
inline bool names_type(const char* data, size_t size, std::string_view type) {
  return std::string_view{data, size}.find(type) != std::string_view::npos;
}

/// True if `bytes` may hold a floating-point value somewhere (its type's
/// name, or a config_value, which may hold a double, is in them). CAF's
/// serializer loops forever on an infinity (caf/detail/ieee_754.hpp:
/// pack754 halves the value until it is below 2), and its deserializer
/// makes one from hostile bytes: the round trip of such a value hangs, so
/// the targets only deserialise it.
inline bool may_hold_floating_point(const char* data, size_t size) {
  for (std::string_view name : {"double", "float", "@ldouble", "@config_value"})
    if (names_type(data, size, name))
      return true;
  return false;
}

/// Runs `load` (a deserialisation of `data`), false if it throws the
/// std::runtime_error CAF's config_value reader throws on a variant index
/// it does not know ("invalid type found"); any other exception, or one
/// from bytes without a config_value, goes on to crash the target.
template <class Load>
bool load_unless_config_value_throws(const char* data, size_t size,
                                     Load load) {
  try {
    return load();
  } catch (const std::runtime_error&) {
    if (names_type(data, size, "@config_value"))
      return false;
    throw;
  }
}

} // namespace entact::fuzz
