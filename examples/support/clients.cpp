#include "support/clients.hpp"

namespace example {

std::unique_ptr<entact::client> connect(uint16_t port, problem_log& problems) {
  entact::client_options opts;
  opts.port = port;
  opts.worker_threads = 1;
  auto c = entact::client::connect(opts);
  if (!c) {
    problems.add("connect", c.error());
    return nullptr;
  }
  return std::move(*c);
}

std::vector<std::unique_ptr<entact::client>>
connect_users(uint16_t port, unsigned n, problem_log& problems) {
  std::vector<std::unique_ptr<entact::client>> clients;
  for (unsigned i = 0; i < n; ++i) {
    auto c = connect(port, problems);
    if (!c)
      return {};
    clients.push_back(std::move(c));
  }
  return clients;
}

} // namespace example
