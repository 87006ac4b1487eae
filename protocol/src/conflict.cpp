#include "entact/conflict.hpp"

#include "entact/errc.hpp"
#include "error_context.hpp"

namespace entact {

caf::error make_conflict_error(conflict c) {
  return detail::error_with(errc::conflict, std::move(c));
}

std::optional<conflict> conflict_of(const caf::error& err) {
  if (!is_conflict(err))
    return std::nullopt;
  return detail::context_as<conflict>(err);
}

bool is_conflict(const caf::error& err) noexcept {
  return code_of(err) == errc::conflict;
}

} // namespace entact
