#include "client_watches.hpp"

#include <unordered_map>
#include <utility>
#include <vector>

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "entact/errc.hpp"

namespace entact::detail {

namespace {

struct client_watches_state {
  std::unordered_map<uint64_t, watch_sink_ptr> sinks;
  static inline const char* name = "entact.client_watches";
};

using client_watches_self = caf::stateful_actor<client_watches_state>*;

void finish_all(client_watches_self self, const caf::error& why) {
  auto sinks = std::move(self->state.sinks);
  self->state.sinks.clear();
  for (auto& kvp : sinks)
    kvp.second->finish(why);
}

caf::behavior client_watches(client_watches_self self, server_api server,
                             caf::timespan timeout) {
  self->monitor(server);
  self->set_down_handler([self](caf::down_msg&) {
    finish_all(self, make_error(errc::unreachable,
                                "the connection to the server dropped"));
    self->quit();
  });
  self->set_exit_handler([self](caf::exit_msg& msg) {
    finish_all(self, make_error(errc::closed, "the client is closing"));
    self->quit(std::move(msg.reason));
  });
  return {
    [self, server, timeout](watch_atom, entity_id& id, version_t after,
                            watch_sink_ptr& sink) {
      auto rp = self->make_response_promise<uint64_t>();
      self->request(server, timeout, watch_atom::value, std::move(id), after)
        .then(
          [self, rp, sink](uint64_t wid) mutable {
            self->state.sinks.emplace(wid, sink);
            rp.deliver(wid);
          },
          [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
      return rp;
    },
    [self, server](watch_atom, uint64_t wid, std::vector<watch_event>& evs) {
      auto i = self->state.sinks.find(wid);
      if (i == self->state.sinks.end())
        return; // cancelled: the server was told
      auto sink = i->second;
      for (auto& ev : evs)
        if (!sink->deliver(std::move(ev))) {
          // Its callback cancelled it.
          self->state.sinks.erase(wid);
          self->send(server, unwatch_atom::value, wid);
          return;
        }
      self->send(server, watch_ack_atom::value, wid);
    },
    [self](watch_atom, uint64_t wid, caf::error& why) {
      auto i = self->state.sinks.find(wid);
      if (i == self->state.sinks.end())
        return;
      auto sink = std::move(i->second);
      self->state.sinks.erase(i);
      sink->finish(std::move(why));
    },
    [self, server](unwatch_atom, uint64_t wid) {
      if (self->state.sinks.erase(wid) > 0)
        self->send(server, unwatch_atom::value, wid);
    },
  };
}

} // namespace

caf::actor spawn_client_watches(caf::actor_system& sys, server_api server,
                                caf::timespan timeout) {
  return sys.spawn(client_watches, std::move(server), timeout);
}

} // namespace entact::detail
