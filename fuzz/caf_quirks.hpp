#pragma once

// What the fuzz targets leave out because CAF 0.17.6 itself gets it wrong
// in a way no entact server reaches (the frame guard refuses messages with
// types other than those of a request, see network/src/basp_check.*).

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include <caf/make_config_option.hpp>

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

/// Makes this program's copies of CAF's option type descriptions
/// (`caf::detail::option_meta_state_instance<T>()`, a function-local static
/// of an inline template) before libcaf_core's g++-built code makes its
/// own. Otherwise the first actor_system_config, built inside the library,
/// sets the shared guard variable, and the clang-built copy a target's own
/// options use keeps its function pointers null: `--json` crashed
/// fuzz_cli_args in `config_option::parse` (pc 0). A mix of compilers
/// only: entact's programs are built with g++ like CAF, and `entact
/// --json` works. Call it once, before the first config.
inline void make_option_types_first() {
  caf::detail::option_meta_state_instance<bool>();
  caf::detail::option_meta_state_instance<size_t>();
  caf::detail::option_meta_state_instance<uint16_t>();
  caf::detail::option_meta_state_instance<std::string>();
}

} // namespace entact::fuzz
