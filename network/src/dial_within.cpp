#include "dial_within.hpp"

#include <caf/atom.hpp>
#include <caf/node_id.hpp>
#include <caf/scoped_actor.hpp>

namespace entact::detail {

caf::expected<caf::strong_actor_ptr>
dial_within(caf::actor_system& sys, const caf::actor& mm,
            const std::set<std::string>& ifs, const std::string& host,
            uint16_t port, caf::timespan timeout) {
  caf::expected<caf::strong_actor_ptr> result{caf::sec::cannot_connect_to_node};
  caf::scoped_actor self{sys};
  // The reply shape of CAF 0.17.6's middleman actor (middleman_actor.hpp).
  self->request(mm, timeout, caf::connect_atom::value, host, port)
    .receive(
      [&](const caf::node_id&, caf::strong_actor_ptr& ptr,
          const std::set<std::string>& found) {
        if (!ptr)
          result = caf::sec::no_actor_published_at_port;
        else if (!sys.assignable(found, ifs))
          result = caf::sec::unexpected_actor_messaging_interface;
        else
          result = std::move(ptr);
      },
      [&](caf::error& err) { result = std::move(err); });
  return result;
}

} // namespace entact::detail
