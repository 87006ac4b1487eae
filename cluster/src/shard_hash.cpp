#include "entact/cluster/shard_hash.hpp"

namespace entact::cluster {

uint64_t fnv1a_64(std::string_view bytes) noexcept {
  uint64_t hash = 14695981039346656037ull; // FNV offset basis
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 1099511628211ull; // FNV prime
  }
  return hash;
}

uint32_t shard_of(std::string_view id, uint32_t shards) noexcept {
  return static_cast<uint32_t>(fnv1a_64(id) % shards);
}

} // namespace entact::cluster
