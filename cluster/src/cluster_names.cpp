#include "entact/cluster/cluster_names.hpp"

#include <charconv>

#include "entact/errc.hpp"

namespace entact::cluster {

namespace {

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
         || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

bool is_host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
         || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

caf::error validate_name(std::string_view what, std::string_view name) {
  if (name.empty())
    return make_error(errc::invalid_argument, std::string{what} + " is empty");
  if (name.size() > max_name_bytes)
    return make_error(errc::invalid_argument,
                      std::string{what} + " is longer than "
                        + std::to_string(max_name_bytes) + " bytes");
  for (char c : name)
    if (!is_name_char(c))
      return make_error(errc::invalid_argument,
                        std::string{what}
                          + " may hold only letters, digits, '-' and '_'");
  return {};
}

} // namespace

caf::error validate_cluster_name(std::string_view name) {
  return validate_name("a cluster name", name);
}

caf::error validate_node_id(std::string_view id) {
  return validate_name("a node id", id);
}

caf::error validate_address(std::string_view address) {
  auto bad = [&](const char* why) {
    return make_error(errc::invalid_argument,
                      std::string{"address must be host:port: "} + why);
  };
  if (address.size() > max_address_bytes)
    return bad("too long");
  auto colon = address.rfind(':');
  if (colon == std::string_view::npos || colon == 0)
    return bad("no host");
  for (char c : address.substr(0, colon))
    if (!is_host_char(c))
      return bad("the host may hold only letters, digits, '.' and '-'");
  auto port_text = address.substr(colon + 1);
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(),
                                   port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc{}
      || end != port_text.data() + port_text.size() || port == 0
      || port > 65535)
    return bad("the port must be 1..65535");
  return {};
}

caf::expected<cluster_address> parse_cluster_address(std::string_view text) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos)
    return make_error(errc::invalid_argument,
                      "a cluster is HOST:PORT/NAME (no '/' in '"
                        + std::string{text.substr(0, max_address_bytes)}
                        + "')");
  auto hosts = text.substr(0, slash);
  auto name = text.substr(slash + 1);
  if (auto err = validate_address(hosts))
    return err;
  if (auto err = validate_cluster_name(name))
    return err;
  return cluster_address{std::string{hosts}, std::string{name}};
}

} // namespace entact::cluster
