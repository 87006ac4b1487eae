#include "entact/entity_id.hpp"

#include <algorithm>
#include <cstring>

#include "entact/errc.hpp"

namespace entact {

bool is_id_char(char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
    return true;
  return c != '\0' && std::strchr("-_.:/@+=#~", c) != nullptr;
}

caf::error validate_id(std::string_view id, const limits& lim) {
  if (id.empty())
    return make_error(errc::invalid_argument, "entity id is empty");
  if (id.size() > lim.max_id_bytes)
    return make_error(errc::too_large,
                      "entity id has " + std::to_string(id.size())
                        + " bytes, limit is "
                        + std::to_string(lim.max_id_bytes));
  auto bad = std::find_if_not(id.begin(), id.end(), is_id_char);
  if (bad != id.end())
    return make_error(errc::invalid_argument,
                      "entity id contains a character outside "
                      "[A-Za-z0-9-_.:/@+=#~] at offset "
                        + std::to_string(bad - id.begin()));
  return {};
}

caf::error validate_read(const std::vector<entity_id>& ids,
                         const limits& lim) {
  if (ids.size() > lim.max_read_ids)
    return make_error(errc::too_large,
                      "a read names at most " + std::to_string(lim.max_read_ids)
                        + " ids, this one " + std::to_string(ids.size()));
  for (const auto& id : ids)
    if (auto err = validate_id(id, lim))
      return err;
  return {};
}

} // namespace entact
