#pragma once

// Building scan requests and reading scan pages in tests.

#include <string>
#include <utility>
#include <vector>

#include "entact/scan.hpp"

namespace entact::test {

/// The page's cursor, "(none)" if it has none.
inline std::string cursor(const scan_page& page) {
  return page.next_after ? *page.next_after : "(none)";
}

inline std::vector<entity_id> ids_of(const scan_page& page) {
  std::vector<entity_id> ids;
  for (const auto& r : page.records)
    ids.push_back(r.id);
  return ids;
}

inline scan_request scan_of(std::string prefix, entity_id after = {},
                            uint32_t limit = default_scan_limit) {
  scan_request req;
  req.prefix = std::move(prefix);
  req.after = std::move(after);
  req.limit = limit;
  return req;
}

} // namespace entact::test
