#pragma once

#include <caf/meta/type_name.hpp>

#include "entact/record.hpp"

namespace entact {

/// What a watch delivers (see `database::watch`): one committed record of
/// the watched entity (a tombstone for a delete), newer than every record
/// delivered before it.
struct watch_event {
  /// The committed record.
  record rec;
  /// False: `rec` is the next version after the previous event (or after
  /// the watch's `after_version`). True: versions in between were skipped
  /// -- the watch started behind the entity, or its watcher fell more
  /// than the watch's queue behind -- and `rec` is the record current
  /// when that was noticed: a watcher that keeps state resyncs from it.
  bool lagged = false;
};

inline bool operator==(const watch_event& x, const watch_event& y) {
  return x.rec == y.rec && x.lagged == y.lagged;
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, watch_event& x) {
  return f(caf::meta::type_name("entact::watch_event"), x.rec, x.lagged);
}

} // namespace entact
