#pragma once

// Where the frame guard meets CAF's BASP broker: a Unix stream socket in
// Linux's abstract namespace whose doorman closes, before BASP sees them,
// connections that do not come from this very process. No TCP port exists
// behind the guard, and no other process (another user's, or the same
// user's) gets a byte to BASP without passing the guard.

#include <cstdint>
#include <functional>
#include <set>
#include <string>

#include <caf/actor.hpp>
#include <caf/expected.hpp>
#include <caf/io/doorman.hpp>

namespace entact::detail {

/// The front door's endpoint, once published.
struct private_endpoint {
  /// Its abstract name (without the leading NUL byte Linux wants).
  std::string name;
  /// The port number BASP files the publication under (BASP keys published
  /// actors by port; `unpublish(door, port)` undoes it).
  uint16_t port = 0;
};

/// Publishes `door` (a typed actor of `sys`) on a fresh private endpoint
/// filed under `port` (the public port of the listener, unique in this
/// process). `log` gets a line per refused connection. Returns once the
/// BASP broker has been told; connections made meanwhile wait in the
/// socket's backlog.
caf::expected<private_endpoint>
publish_privately(caf::actor_system& sys, const caf::actor& door,
                  const std::set<std::string>& interface, uint16_t port,
                  std::function<void(const std::string&)> log);

/// A new non-blocking connection to the endpoint named `name`, or -1 (with
/// errno set).
int connect_private(const std::string& name);

} // namespace entact::detail
