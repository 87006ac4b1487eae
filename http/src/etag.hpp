#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "entact/record.hpp"

namespace entact::http {

/// The strong ETag of a version: `"<version>"`, exactly.
std::string etag_of(version_t v);

/// An `If-Match` of a PUT or DELETE: exactly one strong entity tag whose
/// opaque part is a version in decimal (`"3"`). Anything else (`*`, weak
/// tags `W/"3"`, lists, non-numeric or out-of-range versions, leading
/// zeros) is malformed here: entact only ever issues such tags, so another
/// value is a client's mistake, answered 400 rather than RFC 9110's 412.
std::optional<version_t> parse_if_match(std::string_view field);

/// What an `If-None-Match` names: `*`, or a list of entity tags (weak or
/// strong; compared weakly, as RFC 9110 says for If-None-Match).
struct none_match {
  bool any = false;
  std::vector<version_t> versions;

  /// True if the condition fails for a stored record (the GET answers 304).
  bool matches(const record& stored) const;
};

/// Parses an `If-None-Match`; `std::nullopt` if malformed (400). Tags
/// whose opaque part is not a version are valid but match nothing.
std::optional<none_match> parse_if_none_match(std::string_view field);

} // namespace entact::http
