#include "entact/id_hash.hpp"

namespace entact {

uint64_t fnv1a_64(std::string_view bytes) noexcept {
  uint64_t hash = 14695981039346656037ull; // FNV offset basis
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 1099511628211ull; // FNV prime
  }
  return hash;
}

} // namespace entact
