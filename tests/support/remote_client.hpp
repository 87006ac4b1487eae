#pragma once

#include <chrono>
#include <memory>
#include <stdexcept>

#include "entact/client.hpp"

namespace entact::test {

/// A client of the entactd on 127.0.0.1:`port`, each call's deadline
/// `timeout`; throws if it cannot connect.
inline std::unique_ptr<client>
connect_or_throw(uint16_t port,
                 std::chrono::milliseconds timeout = std::chrono::seconds{30}) {
  auto c = entact::connect({"127.0.0.1", port, timeout});
  if (!c)
    throw std::runtime_error("connect failed: " + to_string(c.error()));
  return std::move(*c);
}

} // namespace entact::test
