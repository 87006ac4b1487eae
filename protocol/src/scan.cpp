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
  if (req.limit == 0 || req.limit > lim.max_scan_records)
    return make_error(errc::invalid_argument,
                      "a scan's limit must be 1 to "
                        + std::to_string(lim.max_scan_records) + ", not "
                        + std::to_string(req.limit));
  if (auto err = validate_prefix(req.prefix, lim))
    return err;
  if (!req.after.empty())
    if (auto err = validate_id(req.after, lim))
      return err;
  return {};
}

} // namespace entact
