#include "history/history.hpp"

namespace entact::test::history {

namespace {

std::string quoted(const std::string& s) {
  return "\"" + s + "\"";
}

std::string v(version_t x) {
  return "v" + std::to_string(x);
}

std::string describe_write(const key_op& op) {
  switch (op.act) {
    case action::update_if_version:
      return "update(" + v(op.expected) + ", " + quoted(op.value) + ")";
    case action::create_if_absent:
      return "create(" + quoted(op.value) + ")";
    case action::erase_if_version:
      return "erase(" + v(op.expected) + ")";
    case action::write_unconditionally:
      return "write_unconditionally(" + quoted(op.value) + ")";
    case action::modify_append:
      return "modify(append, " + quoted(op.value) + ")";
    case action::read:
      break;
  }
  return "read";
}

} // namespace

const char* to_string(api x) noexcept {
  switch (x) {
    case api::get:
      return "get";
    case api::read:
      return "read";
    case api::read_many:
      return "read_many";
    case api::update:
      return "update";
    case api::create:
      return "create";
    case api::erase:
      return "erase";
    case api::write_unconditionally:
      return "write_unconditionally";
    case api::apply_async:
      return "apply_async";
    case api::apply_batch:
      return "apply_batch";
    case api::transact:
      return "transact";
    case api::modify:
      return "modify";
  }
  return "?";
}

std::string describe_call(const key_op& op) {
  if (op.act == action::read)
    return to_string(op.call);
  switch (op.call) {
    case api::apply_async:
    case api::apply_batch:
    case api::transact:
      return std::string{to_string(op.call)} + " " + describe_write(op);
    default:
      return describe_write(op);
  }
}

std::string describe_outcome(const key_op& op) {
  switch (op.res) {
    case outcome::ok:
      if (op.act == action::modify_append) // what it wrote depends on what it found
        return "ok " + v(op.seen.version) + " " + quoted(op.seen.value);
      if (op.act != action::read)
        return "ok " + v(op.seen.version);
      if (op.seen.deleted)
        return v(op.seen.version) + " deleted";
      if (op.seen.version == no_version)
        return "v0 (never existed)";
      return v(op.seen.version) + " " + quoted(op.seen.value);
    case outcome::absent:
      return "not_found (absent or deleted)";
    case outcome::conflict:
      return "conflict";
    case outcome::not_found:
      return "not_found";
    case outcome::unknown:
      return "unknown outcome";
  }
  return "?";
}

} // namespace entact::test::history
