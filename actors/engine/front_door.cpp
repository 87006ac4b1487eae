#include "engine/front_door.hpp"

#include <caf/typed_event_based_actor.hpp>

namespace entact::detail {

namespace {

/// The watch request as the front door forwards it (typed, so `delegate`
/// knows its answer).
using watch_service = caf::typed_actor<
  caf::replies_to<watch_atom, entity_id, version_t>::with<uint64_t>>;

} // namespace

server_api::behavior_type front_door(server_api::pointer self,
                                     router_api router,
                                     coordinator_api coord,
                                     entity_context::reader_api readers,
                                     caf::actor watches) {
  return {
    [=](get_atom a, entity_id& id) {
      return self->delegate(router, a, std::move(id));
    },
    [=](write_atom a, write_op& op) {
      return self->delegate(router, a, std::move(op));
    },
    [=](modify_atom a, modify_op& op) {
      return self->delegate(router, a, std::move(op));
    },
    [=](stats_atom a) { return self->delegate(router, a); },
    [=](begin_atom a, txn_options& opts) {
      return self->delegate(coord, a, opts);
    },
    [=](begin_atom a, txn_options& opts, std::vector<entity_id>& ids) {
      return self->delegate(coord, a, opts, std::move(ids));
    },
    [=](lock_atom a, txn_id txn, std::vector<entity_id>& ids) {
      return self->delegate(coord, a, txn, std::move(ids));
    },
    [=](commit_atom a, txn_id txn, std::vector<txn_write>& writes) {
      return self->delegate(coord, a, txn, std::move(writes));
    },
    [=](abort_atom a, txn_id txn) { return self->delegate(coord, a, txn); },
    [=](write_atom a, std::vector<write_op>& ops) {
      return self->delegate(coord, a, std::move(ops));
    },
    // The store checks the read against the engine's limits (the same
    // check as for an embedded read_many).
    [=](read_atom a, std::vector<entity_id>& ids) {
      return self->delegate(readers, a, std::move(ids));
    },
    // The sender stays the sender: it is the watcher.
    [=](watch_atom a, entity_id& id, version_t after) {
      return self->delegate(caf::actor_cast<watch_service>(watches), a,
                            std::move(id), after);
    },
    [=](watch_ack_atom a, uint64_t wid) { self->delegate(watches, a, wid); },
    [=](unwatch_atom a, uint64_t wid) { self->delegate(watches, a, wid); },
  };
}

} // namespace entact::detail
