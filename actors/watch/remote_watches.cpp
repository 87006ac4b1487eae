#include "watch/remote_watches.hpp"

#include <map>
#include <unordered_map>
#include <utility>

#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>

#include "entact/errc.hpp"
#include "watch/local_watch.hpp"

namespace entact::detail {

namespace {

struct remote_watch {
  std::shared_ptr<watch_feed> feed;
  caf::actor watcher;
  /// A batch was sent and its ack has not come back.
  bool awaiting_ack = false;
};

struct remote_watches_state {
  remote_watch_config cfg;
  std::unordered_map<uint64_t, remote_watch> watches;
  /// Watches per watcher (monitored while it has any) and per peer node.
  std::map<caf::actor_addr, size_t> per_watcher;
  std::map<caf::node_id, size_t> per_node;
  uint64_t next_id = 1;
  static inline const char* name = "entact.watches";
};

using remote_watches_self = caf::stateful_actor<remote_watches_state>*;

void forget(remote_watches_self self, uint64_t wid) {
  auto& st = self->state;
  auto i = st.watches.find(wid);
  if (i == st.watches.end())
    return;
  st.cfg.hub->remove(i->second.feed);
  i->second.feed->end({});
  auto addr = i->second.watcher.address();
  if (--st.per_node[addr.node()] == 0)
    st.per_node.erase(addr.node());
  if (--st.per_watcher[addr] == 0) {
    st.per_watcher.erase(addr);
    self->demonitor(addr);
  }
  st.watches.erase(i);
}

/// Sends the watcher the next batch, unless one is unacknowledged.
void pump(remote_watches_self self, uint64_t wid) {
  auto& st = self->state;
  auto i = st.watches.find(wid);
  if (i == st.watches.end() || i->second.awaiting_ack)
    return;
  auto& w = i->second;
  auto b = w.feed->take(st.cfg.batch_events, st.cfg.batch_bytes);
  if (!b.events.empty()) {
    self->send(w.watcher, watch_atom::value, wid, std::move(b.events));
    w.awaiting_ack = true;
  }
  if (!b.ended)
    return;
  if (b.why)
    self->send(w.watcher, watch_atom::value, wid, std::move(b.why));
  forget(self, wid);
}

/// The watch of `wid` if `sender` is its watcher, else null.
remote_watch* owned(remote_watches_self self, uint64_t wid) {
  auto& st = self->state;
  auto i = st.watches.find(wid);
  if (i == st.watches.end()
      || i->second.watcher.address() != self->current_sender())
    return nullptr;
  return &i->second;
}

caf::result<uint64_t> start(remote_watches_self self, entity_id& id, version_t after) {
  auto& st = self->state;
  auto watcher = caf::actor_cast<caf::actor>(self->current_sender());
  if (!watcher)
    return make_error(errc::invalid_argument, "a watch needs a watcher");
  if (auto err = validate_id(id, st.cfg.limits))
    return err;
  auto node = watcher.node();
  if (st.per_node[node] >= st.cfg.max_per_node)
    return make_error(errc::too_large,
                      "this connection already has "
                        + std::to_string(st.cfg.max_per_node) + " watches");
  auto feed = std::make_shared<watch_feed>(id, after, st.cfg.bounds);
  auto wid = st.next_id++;
  feed->set_wake([addr = self->address(), wid] {
    if (auto me = caf::actor_cast<caf::actor>(addr))
      caf::anon_send(me, wake_atom::value, wid);
  });
  if (auto err = st.cfg.hub->add(feed)) {
    if (st.per_node[node] == 0)
      st.per_node.erase(node);
    return err;
  }
  ++st.per_node[node];
  if (st.per_watcher[watcher.address()]++ == 0)
    self->monitor(watcher);
  st.watches.emplace(wid, remote_watch{feed, watcher});
  // Read after the feed is registered: no commit falls between the two.
  self->request(st.cfg.readers, caf::infinite, load_atom::value, id)
    .then(
      [self, feed, wid](record& current) {
        feed->start(current);
        pump(self, wid);
      },
      [self, feed, wid](caf::error& err) {
        feed->end(normalize(std::move(err)));
        pump(self, wid);
      });
  return wid;
}

caf::behavior remote_watches(remote_watches_self self, remote_watch_config cfg) {
  self->state.cfg = std::move(cfg);
  self->set_down_handler([self](caf::down_msg& msg) {
    std::vector<uint64_t> gone;
    for (auto& [wid, w] : self->state.watches)
      if (w.watcher.address() == msg.source)
        gone.push_back(wid);
    for (auto wid : gone)
      forget(self, wid);
  });
  return {
    [self](watch_atom, entity_id& id, version_t after) {
      return start(self, id, after);
    },
    [self](watch_ack_atom, uint64_t wid) {
      if (auto w = owned(self, wid)) {
        w->awaiting_ack = false;
        pump(self, wid);
      }
    },
    [self](unwatch_atom, uint64_t wid) {
      if (owned(self, wid) != nullptr)
        forget(self, wid);
    },
    [self](wake_atom, uint64_t wid) { pump(self, wid); },
  };
}

} // namespace

caf::actor spawn_remote_watches(caf::actor_system& sys,
                                remote_watch_config cfg) {
  return sys.spawn(remote_watches, std::move(cfg));
}

} // namespace entact::detail
