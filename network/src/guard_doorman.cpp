#include "guard_doorman.hpp"

#include <unistd.h>

#include <caf/io/network/default_multiplexer.hpp>
#include <caf/io/network/doorman_impl.hpp>
#include <caf/make_counted.hpp>

#include "entact/errc.hpp"

namespace entact::detail {

namespace {

class guard_doorman : public caf::io::network::doorman_impl {
public:
  using doorman_impl::doorman_impl;

  bool new_connection() override {
    if (detached()) {
      ::close(acceptor_.accepted_socket());
      return false;
    }
    return doorman_impl::new_connection();
  }
};

} // namespace

caf::expected<caf::io::doorman_ptr>
new_guard_doorman(caf::io::middleman& mm, uint16_t port,
                  const std::string& host, bool reuse_address) {
  auto* mpx
    = dynamic_cast<caf::io::network::default_multiplexer*>(&mm.backend());
  if (mpx == nullptr)
    return make_error(errc::invalid_argument,
                      "serving needs CAF's default network backend");
  auto fd = caf::io::network::new_tcp_acceptor_impl(
    port, host.empty() ? nullptr : host.c_str(), reuse_address);
  if (!fd)
    return std::move(fd.error());
  return caf::io::doorman_ptr{caf::make_counted<guard_doorman>(*mpx, *fd)};
}

} // namespace entact::detail
