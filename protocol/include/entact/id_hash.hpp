#pragma once

#include <cstdint>
#include <string_view>

namespace entact {

/// FNV-1a, 64 bits, of `bytes`: the stable hash that places ids on a
/// cluster's shards and on a store's partitions. Fixed forever for stored
/// data (std::hash may differ between builds and platforms, and would move
/// every entity).
uint64_t fnv1a_64(std::string_view bytes) noexcept;

} // namespace entact
