#include "entact/decision_dialer.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <utility>

#include "entact/errc.hpp"

namespace entact {

namespace {

/// Splits "host:port" at its last colon; a port is 1..65535.
caf::error address_of(const std::string& name, client_options& opts,
                      const char* what = "decision holder") {
  auto colon = name.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return make_error(errc::invalid_argument,
                      std::string{what} + " '" + name + "' is not host:port");
  unsigned port = 0;
  auto first = name.data() + colon + 1;
  auto last = name.data() + name.size();
  auto [end, ec] = std::from_chars(first, last, port);
  if (ec != std::errc{} || end != last || port == 0 || port > 65535)
    return make_error(errc::invalid_argument,
                      std::string{what} + " '" + name
                        + "' has no valid port");
  opts.host = name.substr(0, colon);
  opts.port = static_cast<uint16_t>(port);
  return {};
}

} // namespace

decision_asker decision_dialer(client_options base) {
  return [base](const std::string& holder,
                const std::string& txn) -> caf::expected<twopc_outcome> {
    auto opts = base;
    if (auto err = address_of(holder, opts))
      return err;
    auto c = connect(std::move(opts));
    if (!c)
      return std::move(c.error());
    return (*c)->decision_of(txn);
  };
}

prepared_checker prepared_dialer(client_options base) {
  return [base](const std::string& participant,
                const std::string& txn) -> caf::expected<bool> {
    auto opts = base;
    if (auto err = address_of(participant, opts, "participant"))
      return err;
    auto c = connect(std::move(opts));
    if (!c)
      return std::move(c.error());
    auto list = (*c)->prepared_transactions();
    if (!list)
      return std::move(list.error());
    return std::any_of(list->begin(), list->end(),
                       [&](const prepared_info& p) { return p.name == txn; });
  };
}

} // namespace entact
