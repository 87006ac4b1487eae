#include "entact/write_op.hpp"

#include "entact/errc.hpp"

namespace entact {

const char* to_string(op_kind x) noexcept {
  switch (x) {
    case op_kind::update_if_version: return "update_if_version";
    case op_kind::create_if_absent: return "create_if_absent";
    case op_kind::erase_if_version: return "erase_if_version";
    case op_kind::write_unconditionally: return "write_unconditionally";
    case op_kind::create_at_version: return "create_at_version";
  }
  return "unknown";
}

write_op write_op::update(entity_id id, version_t expected, std::string value) {
  return {op_kind::update_if_version, std::move(id), expected, std::move(value)};
}

write_op write_op::create(entity_id id, std::string value) {
  return {op_kind::create_if_absent, std::move(id), no_version,
          std::move(value)};
}

write_op write_op::erase(entity_id id, version_t expected) {
  return {op_kind::erase_if_version, std::move(id), expected, {}};
}

write_op write_op::unconditional(entity_id id, std::string value) {
  return {op_kind::write_unconditionally, std::move(id), no_version,
          std::move(value)};
}

write_op write_op::create_at(entity_id id, version_t expected,
                            std::string value) {
  return {op_kind::create_at_version, std::move(id), expected,
          std::move(value)};
}

caf::error validate(const write_op& op, const limits& lim) {
  if (auto err = validate_id(op.id, lim))
    return err;
  switch (op.kind) {
    case op_kind::update_if_version:
    case op_kind::create_at_version:
      break;
    case op_kind::create_if_absent:
    case op_kind::write_unconditionally:
      // A version here means the caller confused the write kinds.
      if (op.expected_version != no_version)
        return make_error(errc::invalid_argument,
                          std::string{to_string(op.kind)}
                            + " carries no expected version");
      break;
    case op_kind::erase_if_version:
      if (!op.value.empty())
        return make_error(errc::invalid_argument, "an erase carries no value");
      break;
    default:
      return make_error(errc::invalid_argument, "unknown write kind");
  }
  if (op.value.size() > lim.max_value_bytes)
    return make_error(errc::too_large,
                      "value has " + std::to_string(op.value.size())
                        + " bytes, limit is "
                        + std::to_string(lim.max_value_bytes));
  return {};
}

} // namespace entact
