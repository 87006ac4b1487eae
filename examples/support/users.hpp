// Concurrent users: one thread each.
#pragma once

#include <functional>

namespace example {

/// Runs `user(u)` for u = 0..n-1, each in a thread of its own, and waits
/// for all of them. Returns the seconds that took.
double run_users(unsigned n, const std::function<void(unsigned)>& user);

} // namespace example
