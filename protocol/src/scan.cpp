#include "entact/scan.hpp"

#include <algorithm>

#include "entact/errc.hpp"

namespace entact {

namespace {

caf::error validate_prefix(const std::string& prefix, const limits& lim) {
  if (prefix.size() > lim.max_id_bytes)
    return make_error(errc::too_large,
                      "scan prefix has " + std::to_string(prefix.size())
                        + " bytes, an id at most "
                        + std::to_string(lim.max_id_bytes));
  auto bad = std::find_if_not(prefix.begin(), prefix.end(), is_id_char);
  if (bad != prefix.end())
    return make_error(errc::invalid_argument,
                      "scan prefix contains a character outside "
                      "[A-Za-z0-9-_.:/@+=#~] at offset "
                        + std::to_string(bad - prefix.begin()));
  return {};
}

} // namespace

caf::error validate_scan(const scan_request& req, const limits& lim) {
  // A limit over `max_scan_records` is not refused: the page holds at
  // most that many (`page_limit`) and the caller follows the cursor, so a
  // client's default works against a server with a lower bound.
  if (req.limit == 0)
    return make_error(errc::invalid_argument,
                      "a scan's limit must be at least 1, not 0");
  if (auto err = validate_prefix(req.prefix, lim))
    return err;
  if (!req.after.empty())
    if (auto err = validate_id(req.after, lim))
      return err;
  return {};
}

size_t page_limit(const scan_request& req, const limits& lim) {
  return std::min<size_t>(req.limit, lim.max_scan_records);
}

} // namespace entact
