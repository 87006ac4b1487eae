#include "support/users.hpp"

#include <chrono>
#include <thread>
#include <vector>

namespace example {

double run_users(unsigned n, const std::function<void(unsigned)>& user) {
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (unsigned u = 0; u < n; ++u)
    threads.emplace_back([&user, u] { user(u); });
  for (auto& t : threads)
    t.join();
  std::chrono::duration<double> elapsed = std::chrono::steady_clock::now()
                                          - start;
  return elapsed.count();
}

} // namespace example
