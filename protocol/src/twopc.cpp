#include "entact/twopc.hpp"

namespace entact {

const char* to_string(twopc_outcome x) noexcept {
  switch (x) {
    case twopc_outcome::undecided:
      return "undecided";
    case twopc_outcome::commit:
      return "commit";
    case twopc_outcome::abort:
      return "abort";
  }
  return "unknown";
}

} // namespace entact
