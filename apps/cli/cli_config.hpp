#pragma once

// The `entact` CLI's options, through CAF's config system.

#include <cstddef>
#include <cstdint>
#include <string>

#include <caf/settings.hpp>

#include "entact/register_types.hpp"
#include "entact/tls_options.hpp"

namespace entact::cli {

class cli_config : public entact::config {
public:
  std::string cluster;
  std::string host = "127.0.0.1";
  uint16_t port = 7411;
  bool json = false;
  size_t timeout_ms = 10000;
  std::string if_version;
  bool if_absent = false;
  bool force = false;
  std::string prefix;
  std::string after;
  size_t limit = 100;
  bool all = false;
  bool include_deleted = false;
  entact::tls_client_options tls;

  cli_config() {
    opt_group{custom_options_, "global"}
      .add(cluster, "cluster",
           "HOST:PORT/NAME: ZooKeeper and a cluster's name; each id goes to "
           "the node that owns its shard (not with --host, --port, --tls-*)")
      .add(host, "host", "address of the entactd server")
      .add(port, "port", "port of the entactd server")
      .add(json, "json", "print one JSON object per result")
      .add(timeout_ms, "timeout-ms",
           "deadline of connecting and of each call")
      .add(if_version, "if-version",
           "put/delete: apply only if the stored version is N")
      .add(if_absent, "if-absent", "put: create only if absent or deleted")
      .add(force, "force", "put: last write wins (no version check)")
      .add(prefix, "prefix", "scan: only ids that start with P")
      .add(after, "after", "scan: only ids after ID (a page's cursor)")
      .add(limit, "limit", "scan: most records per page (default 100)")
      .add(all, "all", "scan: every page, not just the first")
      .add(include_deleted, "include-deleted",
           "scan: list tombstones too")
      .add(tls.ca_file, "tls-ca",
           "connect with TLS; the server's certificate must be signed by "
           "these PEM CA certificates and name --host")
      .add(tls.server_name, "tls-server-name",
           "the name the server's certificate must carry (default: --host)")
      .add(tls.certificate_file, "tls-cert",
           "PEM client certificate, for servers that require one")
      .add(tls.key_file, "tls-key", "PEM private key of --tls-cert");
  }

  /// True if option `name` appeared on the command line.
  bool given(const char* name) const {
    return content.count(std::string{name}) > 0; // clang: no char* view
  }

  /// CAF prints its help text only if every argument is an option; this
  /// also catches `entact put --help`.
  bool help_requested() const {
    return cli_helptext_printed || caf::get_or(content, "help", false)
           || caf::get_or(content, "long-help", false);
  }

  std::string option_help() const {
    return custom_options_.help_text(!caf::get_or(content, "long-help", false));
  }
};

} // namespace entact::cli
