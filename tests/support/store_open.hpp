#pragma once

#include <string>

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/message.hpp>

#include "entact/storage/store_options.hpp"

// What storage tests need to open a store and read why it was refused.

namespace entact::test {

/// Options for a store at `path`, sync off (tests that need it set it).
inline storage::store_options options_for(const std::string& path) {
  storage::store_options opts;
  opts.path = path;
  opts.sync = false;
  return opts;
}

/// The human-readable detail of an entact error, empty if it has none.
inline std::string detail_of(const caf::error& err) {
  const auto& ctx = err.context();
  return ctx.size() == 1 && ctx.match_element<std::string>(0)
           ? ctx.get_as<std::string>(0)
           : std::string{};
}

/// The detail of a failed open, empty for a successful one.
template <class T>
std::string why(const caf::expected<T>& x) {
  return x ? std::string{} : detail_of(x.error());
}

} // namespace entact::test
