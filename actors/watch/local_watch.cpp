#include "watch/local_watch.hpp"

#include <utility>

#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/send.hpp>

#include "callers/logger_unpin.hpp"
#include "entact/errc.hpp"
#include "watch/watch_sink.hpp"

namespace entact::detail {

namespace {

/// Hands everything queued to the sink; false once the watch is over.
bool drain(watch_feed& feed, watch_sink& sink) {
  auto b = feed.take();
  for (auto& ev : b.events)
    if (!sink.deliver(std::move(ev)))
      return false;
  if (!b.ended)
    return true;
  sink.finish(std::move(b.why));
  return false;
}

caf::behavior deliverer(caf::event_based_actor* self,
                        std::shared_ptr<watch_feed> feed,
                        std::shared_ptr<watch_sink> sink,
                        std::weak_ptr<watch_hub> hub,
                        entity_context::reader_api readers) {
  // Weak: the feed outlives the actor system when its handle does.
  feed->set_wake([addr = self->address()] {
    if (auto me = caf::actor_cast<caf::actor>(addr))
      caf::anon_send(me, wake_atom::value);
  });
  return {
    // Sent once the feed is registered: what this reads is at least as
    // new as every commit the feed missed.
    [self, feed, sink, hub, readers](load_atom) {
      self->request(readers, caf::infinite, load_atom::value, feed->id())
        .then(
          [self, feed, sink](record& current) {
            feed->start(current);
            if (!drain(*feed, *sink))
              self->quit();
          },
          [self, feed, sink, hub](caf::error& err) {
            if (auto h = hub.lock())
              h->remove(feed);
            feed->end(normalize(std::move(err)));
            drain(*feed, *sink);
            self->quit();
          });
    },
    [self, feed, sink](wake_atom) {
      if (!drain(*feed, *sink))
        self->quit();
    },
  };
}

} // namespace

caf::expected<watch_handle>
start_local_watch(caf::actor_system& sys, std::shared_ptr<watch_hub> hub,
                  entity_context::reader_api readers, const entity_id& id,
                  version_t after, feed_bounds bounds, watch_callback cb) {
  if (!cb)
    return make_error(errc::invalid_argument, "a watch needs a callback");
  auto feed = std::make_shared<watch_feed>(id, after, bounds);
  auto sink = std::make_shared<watch_sink>(std::move(cb));
  std::weak_ptr<watch_hub> weak_hub = hub;
  caf::actor actor;
  {
    logger_unpin unpin; // the spawn pins this thread
    actor = sys.spawn(deliverer, feed, sink, weak_hub, std::move(readers));
  }
  // The hub keeps the deliverer alive (nobody else holds it) until the
  // watch is removed or the hub closes.
  if (auto err = hub->add(feed, actor)) {
    caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
    return err;
  }
  caf::anon_send(actor, load_atom::value);
  return watch_handle{[feed, sink, weak_hub] {
    sink->cancel();
    if (auto h = weak_hub.lock())
      h->remove(feed);
    feed->end({}); // the deliverer stops
  }};
}

} // namespace entact::detail
