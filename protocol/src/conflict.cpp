#include "entact/conflict.hpp"

#include <caf/make_message.hpp>
#include <caf/message.hpp>

#include "entact/errc.hpp"

namespace entact {

caf::error make_conflict_error(conflict c) {
  return caf::error{static_cast<uint8_t>(errc::conflict), error_category,
                    caf::make_message(std::move(c))};
}

std::optional<conflict> conflict_of(const caf::error& err) {
  if (!is_conflict(err))
    return std::nullopt;
  const auto& ctx = err.context();
  if (ctx.size() != 1 || !ctx.match_element<conflict>(0))
    return std::nullopt;
  return ctx.get_as<conflict>(0);
}

bool is_conflict(const caf::error& err) noexcept {
  return code_of(err) == errc::conflict;
}

} // namespace entact
