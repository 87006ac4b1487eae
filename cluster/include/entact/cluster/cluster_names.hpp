#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <caf/error.hpp>
#include <caf/expected.hpp>

namespace entact::cluster {

/// The longest cluster name or node id: both become one ZooKeeper path
/// segment and appear in logs and the CLI.
constexpr size_t max_name_bytes = 64;

/// The longest "host:port" a member may publish.
constexpr size_t max_address_bytes = 255;

/// Returns an empty error if `name` is a valid cluster name: 1 to
/// `max_name_bytes` of ASCII letters, digits, `-` and `_` (no `.`, `/`:
/// never a relative or nested ZooKeeper path). Otherwise
/// `errc::invalid_argument` naming what is wrong.
caf::error validate_cluster_name(std::string_view name);

/// The same rule for node ids.
caf::error validate_node_id(std::string_view id);

/// Returns an empty error if `address` is "host:port": a host of letters,
/// digits, `.` and `-`, and a port in 1..65535; at most
/// `max_address_bytes`. Otherwise `errc::invalid_argument`.
caf::error validate_address(std::string_view address);

/// Where a cluster lives: the ZooKeeper connect string and the cluster name.
struct cluster_address {
  std::string zk_hosts;
  std::string name;
};

/// Parses "HOST:PORT/NAME" (entactd's `--cluster`): a valid address, one
/// `/`, a valid cluster name. Otherwise `errc::invalid_argument`.
caf::expected<cluster_address> parse_cluster_address(std::string_view text);

} // namespace entact::cluster
