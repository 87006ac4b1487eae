#pragma once

#include <ostream>

#include <caf/expected.hpp>

#include "entact/errc.hpp"
#include "entact/result.hpp"
#include "entact/write_op.hpp"

// Lets Boost.Test print entact's enums in failure messages.
namespace entact {

inline std::ostream& operator<<(std::ostream& os, errc x) {
  return os << to_string(x);
}

inline std::ostream& operator<<(std::ostream& os, op_kind x) {
  return os << to_string(x);
}

} // namespace entact

namespace entact::test {

/// The `errc` of an expected's error, or `errc::none` if it holds a value.
template <class T>
errc code(const caf::expected<T>& x) {
  return code_of(x);
}

} // namespace entact::test
