#pragma once

// CAF 0.17's `middleman::remote_actor` asks its middleman actor with an
// infinite deadline: a server that completes the TCP handshake and then
// never speaks (a frozen process: the kernel still accepts) keeps the
// caller waiting forever. This asks the same actor with a deadline.

#include <set>
#include <string>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/expected.hpp>
#include <caf/timespan.hpp>

namespace entact::detail {

/// `remote_actor` through middleman actor `mm` (CAF's own, or the TLS
/// dialer's), giving up after `timeout`. Errors: CAF's
/// (`sec::request_timeout` past the deadline,
/// `no_actor_published_at_port`, `unexpected_actor_messaging_interface`,
/// `cannot_connect_to_node`, ...).
caf::expected<caf::strong_actor_ptr>
dial_within(caf::actor_system& sys, const caf::actor& mm,
            const std::set<std::string>& ifs, const std::string& host,
            uint16_t port, caf::timespan timeout);

} // namespace entact::detail
