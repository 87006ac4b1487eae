#pragma once

// The frame guard's listening socket: CAF's TCP doorman, except that a
// connection accepted after the doorman was closed is closed too.

#include <cstdint>
#include <string>

#include <caf/expected.hpp>
#include <caf/io/doorman.hpp>
#include <caf/io/middleman.hpp>

namespace entact::detail {

/// A TCP doorman listening on `host`:`port` (empty host: every interface).
/// CAF 0.17.6's own accepts a connection in the event loop round in which
/// its broker closed it, finds itself detached and returns without closing
/// the accepted socket: one file descriptor lost per such race (seen in
/// test_remote_serve_shutdown, a peer connecting as the listener stops).
/// Errors: CAF's (`caf::sec::cannot_open_port`), `invalid_argument` for a
/// backend other than CAF's default one.
caf::expected<caf::io::doorman_ptr>
new_guard_doorman(caf::io::middleman& mm, uint16_t port,
                  const std::string& host, bool reuse_address);

} // namespace entact::detail
