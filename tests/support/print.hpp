#pragma once

#include <ostream>

#include "entact/errc.hpp"
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
