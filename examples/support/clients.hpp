// Clients of an entactd server, one per user.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <entact/client.hpp>

#include "support/problem_log.hpp"

namespace example {

/// A client of the entactd on 127.0.0.1:`port`, with one worker thread
/// (many clients share a process on few cores); nothing if it cannot
/// connect, which goes to `problems`.
std::unique_ptr<entact::client> connect(uint16_t port, problem_log& problems);

/// `n` such clients, each its own connection; none if one fails.
std::vector<std::unique_ptr<entact::client>>
connect_users(uint16_t port, unsigned n, problem_log& problems);

} // namespace example
