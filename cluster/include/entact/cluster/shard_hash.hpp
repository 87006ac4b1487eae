#pragma once

#include <cstdint>
#include <string_view>

#include "entact/id_hash.hpp"

namespace entact::cluster {

using entact::fnv1a_64;

/// The shard of entity `id` in a cluster of `shards` shards (> 0):
/// `fnv1a_64(id) % shards`.
uint32_t shard_of(std::string_view id, uint32_t shards) noexcept;

} // namespace entact::cluster
