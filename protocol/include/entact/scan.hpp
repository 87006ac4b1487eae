#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/meta/load_callback.hpp>
#include <caf/meta/type_name.hpp>

#include "entact/entity_id.hpp"
#include "entact/limits.hpp"
#include "entact/record.hpp"

namespace entact {

/// Records a page of a scan holds unless the request asks for another
/// number (at most `limits::max_scan_records`).
constexpr uint32_t default_scan_limit = 100;

/// One page of a listing of what is stored (see `database::scan`): the
/// records whose id starts with `prefix` and sorts strictly after `after`,
/// in id order (bytewise).
struct scan_request {
  /// Only ids that start with these bytes; empty: every id. The characters
  /// of an id, at most `limits::max_id_bytes` of them.
  std::string prefix;
  /// Only ids strictly after this one (bytewise); empty: from the first.
  /// The cursor: the `next_after` of the page before.
  entity_id after;
  /// Most records in the page, at least 1. A page holds at most
  /// `limits::max_scan_records` (the server's, for a remote scan) however
  /// many are asked for: a larger limit is not refused, the page is just
  /// cut there, with `next_after` set if more may follow.
  uint32_t limit = default_scan_limit;
  /// Also list tombstones (deleted entities, with their versions).
  bool include_deleted = false;
};

inline bool operator==(const scan_request& x, const scan_request& y) {
  return x.prefix == y.prefix && x.after == y.after && x.limit == y.limit
         && x.include_deleted == y.include_deleted;
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, scan_request& x) {
  return f(caf::meta::type_name("entact::scan_request"), x.prefix, x.after,
           x.limit, x.include_deleted);
}

/// One page of a scan, read from one storage snapshot.
struct scan_page {
  /// In id order; tombstones only if the request included them.
  std::vector<record> records;
  /// Set iff more records may follow: the cursor for the next page (the
  /// `after` of its request), the last id this page looked at.
  std::optional<entity_id> next_after;
};

inline bool operator==(const scan_page& x, const scan_page& y) {
  return x.records == y.records && x.next_after == y.next_after;
}

/// On the wire `next_after` is a flag and a string (CAF 0.17 has no
/// inspector for `std::optional`).
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, scan_page& x) {
  bool more = x.next_after.has_value();
  entity_id next = more ? *x.next_after : entity_id{};
  auto load = [&]() -> caf::error {
    x.next_after.reset();
    if (more)
      x.next_after = std::move(next);
    return caf::none;
  };
  return f(caf::meta::type_name("entact::scan_page"), x.records, more, next,
           caf::meta::load_callback(load));
}

/// Returns an empty error if `req` is a scan `lim` allows: a prefix of id
/// characters within `max_id_bytes` (else `invalid_argument`, `too_large`),
/// an empty or valid `after` (see `validate_id`), and a limit of at least
/// 1 (else `invalid_argument`; one over `lim.max_scan_records` is allowed,
/// see `page_limit`).
caf::error validate_scan(const scan_request& req, const limits& lim);

/// The most records a page for `req` holds: `req.limit`, at most
/// `lim.max_scan_records`.
size_t page_limit(const scan_request& req, const limits& lim);

} // namespace entact
