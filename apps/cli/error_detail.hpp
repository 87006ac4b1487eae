#pragma once

#include <string>

#include <caf/actor_system_config.hpp>
#include <caf/error.hpp>

#include "entact/errc.hpp"

namespace entact::cli {

/// The human-readable detail of an error: the string entact attached, or
/// CAF's rendering.
inline std::string detail_of(const caf::error& err) {
  auto& ctx = err.context();
  if (err.category() == entact::error_category && !ctx.empty()
      && ctx.match_element<std::string>(0))
    return ctx.get_as<std::string>(0);
  if (err.category() == entact::error_category)
    return ctx.empty() ? std::string{} : to_string(ctx);
  return caf::actor_system_config::render(err);
}

} // namespace entact::cli
