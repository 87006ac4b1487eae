#pragma once

#include <cstdint>
#include <string_view>

namespace entact::cluster {

/// FNV-1a, 64 bits, of `bytes`: the stable hash that places ids on shards.
/// Fixed forever for a cluster's data (std::hash may differ between
/// builds and platforms, and would move every entity).
uint64_t fnv1a_64(std::string_view bytes) noexcept;

/// The shard of entity `id` in a cluster of `shards` shards (> 0):
/// `fnv1a_64(id) % shards`.
uint32_t shard_of(std::string_view id, uint32_t shards) noexcept;

} // namespace entact::cluster
