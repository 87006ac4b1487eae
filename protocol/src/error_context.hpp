#pragma once

// Errors of entact's category that carry one value as their context.

#include <optional>

#include <caf/error.hpp>
#include <caf/make_message.hpp>
#include <caf/message.hpp>

#include "entact/errc.hpp"

namespace entact::detail {

/// An error of entact's category with `x` as its whole context.
template <class T>
caf::error error_with(errc code, T x) {
  return caf::error{static_cast<uint8_t>(code), error_category,
                    caf::make_message(std::move(x))};
}

/// The context of `err` if it is exactly one `T` (errors that crossed the
/// wire from an older or foreign peer may carry anything).
template <class T>
std::optional<T> context_as(const caf::error& err) {
  const auto& ctx = err.context();
  if (ctx.size() != 1 || !ctx.match_element<T>(0))
    return std::nullopt;
  return ctx.get_as<T>(0);
}

} // namespace entact::detail
