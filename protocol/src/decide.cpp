#include "entact/decide.hpp"

#include "entact/conflict.hpp"
#include "entact/errc.hpp"
#include "entact/not_found.hpp"

namespace entact {

namespace {

caf::error refuse(const record& current, const write_op& op) {
  return make_conflict_error(
    conflict{op.id, op.expected_version, current, op.kind, op.value});
}

record next(const record& current, const write_op& op, bool deleted) {
  return record{op.id, current.version + 1, deleted ? std::string{} : op.value,
                deleted};
}

} // namespace

caf::expected<record> decide(const record& current, const write_op& op) {
  switch (op.kind) {
    case op_kind::update_if_version:
    case op_kind::erase_if_version:
      if (current.version != op.expected_version)
        return refuse(current, op);
      if (!current.exists())
        return make_not_found_error(current);
      break;
    case op_kind::create_if_absent:
      if (current.exists())
        return refuse(current, op);
      break;
    case op_kind::create_at_version:
      if (current.exists() || current.version != op.expected_version)
        return refuse(current, op);
      break;
    case op_kind::write_unconditionally:
      break;
    default:
      return make_error(errc::invalid_argument, "unknown write kind");
  }
  if (current.version == max_version)
    return make_error(errc::version_overflow, op.id);
  return next(current, op, op.kind == op_kind::erase_if_version);
}

} // namespace entact
