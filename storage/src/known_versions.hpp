#pragma once

#include <cstddef>
#include <optional>
#include <unordered_map>

#include "entact/record.hpp"

namespace entact::storage::detail {

/// What the committer knows of the stored records as the only writer of its
/// database: the version and deletion mark of every id it has read or
/// committed. An id found here needs no read (and no tracking in the
/// group's optimistic transaction): nothing but the committer changes the
/// stored record, so the committed state it remembers is the stored one.
///
/// Bounded by `capacity` ids; past it everything is forgotten at once (a
/// group then reads again, as without it). Used by the committer thread
/// only: no locking.
class known_versions {
public:
  /// At most `capacity` ids; 0 remembers nothing.
  explicit known_versions(size_t capacity) : capacity_(capacity) {
  }

  /// The stored record of `id` without its value (`version == no_version`
  /// if it never existed), or nothing if unknown.
  std::optional<record> find(const entity_id& id) const;

  /// Remembers `r` as the stored record of `r.id` (its value is not kept).
  void remember(const record& r);

  /// Forgets everything: after a commit with an unknown outcome, or once
  /// something else may have written to the database.
  void forget_all() noexcept {
    known_.clear();
    ++forgettings_;
  }

  /// How many times everything was forgotten (by `forget_all`, or past
  /// the bound): what a hint from a read must not have missed.
  uint64_t forgettings() const noexcept {
    return forgettings_;
  }

private:
  struct state {
    version_t version;
    bool deleted;
  };

  size_t capacity_;
  std::unordered_map<entity_id, state> known_;
  uint64_t forgettings_ = 0;
};

} // namespace entact::storage::detail
