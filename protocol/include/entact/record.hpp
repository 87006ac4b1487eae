#pragma once

#include <cstdint>
#include <limits>
#include <string>

#include <caf/meta/type_name.hpp>

#include "entact/entity_id.hpp"

namespace entact {

/// Version of an entity: strictly increasing per entity, never reused.
using version_t = uint64_t;

/// The version of an entity that never existed.
constexpr version_t no_version = 0;

/// The last version an entity can reach; a write on top of it fails with
/// `errc::version_overflow` instead of wrapping to 0.
constexpr version_t max_version = std::numeric_limits<version_t>::max();

/// The committed state of one entity. A deleted entity keeps a tombstone
/// (`deleted == true`, empty value) with its own version, so a stale writer
/// can never resurrect it and a later create continues the sequence.
struct record {
  entity_id id;
  version_t version = no_version;
  std::string value;
  bool deleted = false;

  /// True if the entity currently holds a value (not absent, not deleted).
  bool exists() const noexcept {
    return version != no_version && !deleted;
  }
};

inline bool operator==(const record& x, const record& y) {
  return x.id == y.id && x.version == y.version && x.value == y.value
         && x.deleted == y.deleted;
}

inline bool operator!=(const record& x, const record& y) {
  return !(x == y);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, record& x) {
  return f(caf::meta::type_name("entact::record"), x.id, x.version, x.value,
           x.deleted);
}

} // namespace entact
