#include "entact/modify_op.hpp"

#include <algorithm>

#include "entact/errc.hpp"

namespace entact {

namespace {

bool is_name_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'
         || c == '-' || c == '.';
}

} // namespace

caf::error validate_operation_name(const std::string& name) {
  if (name.empty())
    return make_error(errc::invalid_argument, "operation name is empty");
  if (name.size() > max_operation_name_bytes)
    return make_error(errc::invalid_argument,
                      "operation name has " + std::to_string(name.size())
                        + " bytes, limit is "
                        + std::to_string(max_operation_name_bytes));
  if (!std::all_of(name.begin(), name.end(), is_name_char))
    return make_error(errc::invalid_argument,
                      "operation name contains a character outside "
                      "[a-z0-9_.-]");
  return {};
}

caf::error validate(const modify_op& op, const limits& lim) {
  if (auto err = validate_id(op.id, lim))
    return err;
  if (auto err = validate_operation_name(op.name))
    return err;
  if (op.arg.size() > lim.max_value_bytes)
    return make_error(errc::too_large,
                      "operation argument has " + std::to_string(op.arg.size())
                        + " bytes, limit is "
                        + std::to_string(lim.max_value_bytes));
  return {};
}

} // namespace entact
