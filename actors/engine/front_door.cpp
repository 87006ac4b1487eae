#include "engine/front_door.hpp"

#include <caf/typed_event_based_actor.hpp>

#include "entact/errc.hpp"

namespace entact::detail {

namespace {

using records = std::vector<record>;

caf::error check_read(const std::vector<entity_id>& ids,
                      const entact::limits& limits) {
  if (ids.size() > max_read_ids)
    return make_error(errc::too_large,
                      "a read names at most " + std::to_string(max_read_ids)
                        + " ids");
  for (auto& id : ids)
    if (auto err = validate_id(id, limits))
      return err;
  return {};
}

} // namespace

server_api::behavior_type front_door(server_api::pointer self,
                                     router_api router,
                                     coordinator_api coord,
                                     entity_context::reader_api readers,
                                     entact::limits limits) {
  return {
    [=](get_atom a, entity_id& id) {
      return self->delegate(router, a, std::move(id));
    },
    [=](write_atom a, write_op& op) {
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
    [=](read_atom a, std::vector<entity_id>& ids) -> caf::result<records> {
      if (auto err = check_read(ids, limits))
        return err;
      return self->delegate(readers, a, std::move(ids));
    },
  };
}

} // namespace entact::detail
