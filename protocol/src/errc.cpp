#include "entact/errc.hpp"

#include <caf/make_message.hpp>
#include <caf/message.hpp>
#include <caf/sec.hpp>

#include "entact/record.hpp"
#include "error_context.hpp"

namespace entact {

const char* to_string(errc x) noexcept {
  switch (x) {
    case errc::none: return "none";
    case errc::conflict: return "conflict";
    case errc::not_found: return "not_found";
    case errc::invalid_argument: return "invalid_argument";
    case errc::too_large: return "too_large";
    case errc::timeout: return "timeout";
    case errc::overloaded: return "overloaded";
    case errc::storage_failure: return "storage_failure";
    case errc::in_doubt: return "in_doubt";
    case errc::version_overflow: return "version_overflow";
    case errc::closed: return "closed";
    case errc::lock_timeout: return "lock_timeout";
    case errc::lease_expired: return "lease_expired";
    case errc::aborted: return "aborted";
    case errc::unknown_transaction: return "unknown_transaction";
    case errc::unreachable: return "unreachable";
    case errc::retries_exhausted: return "retries_exhausted";
    case errc::unassigned: return "unassigned";
    case errc::unavailable: return "unavailable";
    case errc::wrong_node: return "wrong_node";
    case errc::cross_shard: return "cross_shard";
  }
  return "unknown";
}

caf::error make_error(errc x) {
  return caf::error{static_cast<uint8_t>(x), error_category};
}

caf::error make_error(errc x, std::string detail) {
  return entact::detail::error_with(x, std::move(detail));
}

caf::error make_retries_exhausted_error(unsigned attempts, caf::error last) {
  auto text = "gave up after " + std::to_string(attempts)
              + (attempts == 1 ? " attempt" : " attempts") + "; the last: "
              + (last.category() == error_category
                   ? render_error(last.code(), last.category(), last.context())
                   : to_string(last));
  return caf::error{static_cast<uint8_t>(errc::retries_exhausted),
                    error_category,
                    caf::make_message(std::move(text), std::move(last))};
}

caf::error cause_of(const caf::error& err) {
  if (code_of(err) != errc::retries_exhausted)
    return {};
  const auto& ctx = err.context();
  if (ctx.size() != 2 || !ctx.match_element<caf::error>(1))
    return {};
  return ctx.get_as<caf::error>(1);
}

errc code_of(const caf::error& err) noexcept {
  if (!err)
    return errc::none;
  if (err.category() == error_category)
    return static_cast<errc>(err.code());
  if (err.category() == caf::atom("system")) {
    switch (static_cast<caf::sec>(err.code())) {
      case caf::sec::request_timeout:
        return errc::timeout;
      case caf::sec::unexpected_message:
      case caf::sec::unexpected_response:
        return errc::invalid_argument;
      default:
        return errc::unreachable;
    }
  }
  if (err.category() == caf::atom("exit"))
    return errc::unreachable;
  return errc::storage_failure;
}

namespace {

/// What a `not_found` found: "acct/2: deleted at v3", "acct/9: never existed".
std::string describe(const record& r) {
  if (r.version == no_version)
    return r.id + ": never existed";
  return r.id + (r.deleted ? ": deleted at v" : ": exists at v")
         + std::to_string(r.version);
}

} // namespace

std::string render_error(uint8_t code, caf::atom_value,
                         const caf::message& context) {
  std::string result = "entact::";
  result += to_string(static_cast<errc>(code));
  if (!context.empty()) {
    result += " (";
    // A text first is the whole story (a `retries_exhausted` adds its
    // cause, already rendered into the text).
    if (context.match_element<std::string>(0))
      result += context.get_as<std::string>(0);
    else if (context.size() == 1 && context.match_element<record>(0))
      result += describe(context.get_as<record>(0));
    else
      result += to_string(context);
    result += ")";
  }
  return result;
}

} // namespace entact
