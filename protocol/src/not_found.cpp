#include "entact/not_found.hpp"

#include "entact/conflict.hpp"
#include "entact/errc.hpp"
#include "error_context.hpp"

namespace entact {

caf::error make_not_found_error(record stored) {
  return detail::error_with(errc::not_found, std::move(stored));
}

caf::expected<record> existing(record r) {
  if (!r.exists())
    return make_not_found_error(std::move(r));
  return r;
}

bool is_not_found(const caf::error& err) noexcept {
  return code_of(err) == errc::not_found;
}

std::optional<record> stored_of(const caf::error& err) {
  if (auto c = conflict_of(err))
    return std::move(c->stored);
  if (!is_not_found(err))
    return std::nullopt;
  return detail::context_as<record>(err);
}

} // namespace entact
