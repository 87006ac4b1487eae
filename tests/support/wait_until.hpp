#pragma once

#include <chrono>
#include <thread>

namespace entact::test {

/// Asks `done` every `poll` until it answers true or `limit` has passed, and
/// returns its last answer: a test waits for the condition it means, never
/// for a guessed time, and a condition that never comes ends the wait.
template <class Predicate>
bool wait_until(Predicate done, std::chrono::milliseconds limit,
                std::chrono::milliseconds poll = std::chrono::milliseconds{5}) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline)
      return done();
    std::this_thread::sleep_for(poll);
  }
  return true;
}

} // namespace entact::test
