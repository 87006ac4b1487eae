#include "engine/front_door.hpp"

#include <caf/typed_event_based_actor.hpp>

namespace entact::detail {

server_api::behavior_type front_door(server_api::pointer self,
                                     router_api router,
                                     coordinator_api coord,
                                     entity_context::reader_api readers) {
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
  };
}

} // namespace entact::detail
