#include "entact/cluster/shard_hash.hpp"

namespace entact::cluster {

uint32_t shard_of(std::string_view id, uint32_t shards) noexcept {
  return static_cast<uint32_t>(fnv1a_64(id) % shards);
}

} // namespace entact::cluster
