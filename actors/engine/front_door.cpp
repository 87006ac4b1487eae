#include "engine/front_door.hpp"

#include <caf/typed_event_based_actor.hpp>

namespace entact::detail {

namespace {

/// The watch request as the front door forwards it (typed, so `delegate`
/// knows its answer).
using watch_service = caf::typed_actor<
  caf::replies_to<watch_atom, entity_id, version_t>::with<uint64_t>>;

template <class T, class F>
std::vector<entity_id> ids_of(const std::vector<T>& items, F id) {
  std::vector<entity_id> ids;
  ids.reserve(items.size());
  for (auto& x : items)
    ids.push_back(id(x));
  return ids;
}

} // namespace

server_api::behavior_type
front_door(server_api::pointer self, router_api router, coordinator_api coord,
           entity_context::reader_api readers, caf::actor watches,
           std::function<caf::error(const std::vector<entity_id>&)> admit,
           const held_ids* held,
           std::function<void(engine_stats&)> add_counters) {
  // The refusal of a call naming `ids`, if any (none without `admit`).
  auto refusal = [admit](auto&& make_ids) -> caf::error {
    return admit ? admit(make_ids()) : caf::error{};
  };
  return {
    [=](get_atom a, entity_id& id) -> caf::result<record> {
      if (auto err = refusal([&] { return std::vector<entity_id>{id}; }))
        return err;
      return self->delegate(router, a, std::move(id));
    },
    [=](write_atom a, write_op& op) -> caf::result<record> {
      if (auto err = refusal([&] { return std::vector<entity_id>{op.id}; }))
        return err;
      return self->delegate(router, a, std::move(op));
    },
    [=](modify_atom a, modify_op& op) -> caf::result<record> {
      if (auto err = refusal([&] { return std::vector<entity_id>{op.id}; }))
        return err;
      return self->delegate(router, a, std::move(op));
    },
    // Not delegated: the router counts only entities.
    [=](stats_atom a) -> caf::result<engine_stats> {
      auto rp = self->make_response_promise<engine_stats>();
      self->request(router, caf::infinite, a)
        .then(
          [=](engine_stats& stats) mutable {
            add_counters(stats);
            rp.deliver(std::move(stats));
          },
          [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
      return rp;
    },
    [=](begin_atom a, txn_options& opts) -> caf::result<txn_handle> {
      if (auto err = refusal([] { return std::vector<entity_id>{}; }))
        return err;
      return self->delegate(coord, a, opts);
    },
    [=](begin_atom a, txn_options& opts,
        std::vector<entity_id>& ids) -> caf::result<txn_begun> {
      if (auto err = refusal([&] { return ids; }))
        return err;
      return self->delegate(coord, a, opts, std::move(ids));
    },
    [=](lock_atom a, txn_id txn,
        std::vector<entity_id>& ids) -> caf::result<std::vector<record>> {
      if (auto err = refusal([&] { return ids; }))
        return err;
      return self->delegate(coord, a, txn, std::move(ids));
    },
    [=](commit_atom a, txn_id txn, std::vector<txn_write>& writes)
      -> caf::result<std::vector<record>> {
      if (auto err = refusal([&] {
            return ids_of(writes, [](auto& w) { return w.id; });
          }))
        return err;
      return self->delegate(coord, a, txn, std::move(writes));
    },
    [=](abort_atom a, txn_id txn) { return self->delegate(coord, a, txn); },
    [=](write_atom a,
        std::vector<write_op>& ops) -> caf::result<std::vector<record>> {
      if (auto err = refusal(
            [&] { return ids_of(ops, [](auto& op) { return op.id; }); }))
        return err;
      return self->delegate(coord, a, std::move(ops));
    },
    // Two-phase commit: a prepare is admitted as a commit of its writes;
    // the calls by name as a `begin` (no ids: a cluster node still
    // refuses while it cannot prove its session). Decision queries and
    // the list are the decision holder's, not a shard's: always served.
    [=](prepare_atom a, txn_id txn, std::vector<txn_write>& writes,
        txn_prepare& p) -> caf::result<bool> {
      if (auto err = refusal([&] {
            return ids_of(writes, [](auto& w) { return w.id; });
          }))
        return err;
      return self->delegate(coord, a, txn, std::move(writes), std::move(p));
    },
    [=](commit_prepared_atom a, std::string& name,
        bool as_decision) -> caf::result<std::vector<record>> {
      if (auto err = refusal([] { return std::vector<entity_id>{}; }))
        return err;
      return self->delegate(coord, a, std::move(name), as_decision);
    },
    [=](abort_prepared_atom a, std::string& name) -> caf::result<bool> {
      if (auto err = refusal([] { return std::vector<entity_id>{}; }))
        return err;
      return self->delegate(coord, a, std::move(name));
    },
    [=](decision_atom a, std::string& name) {
      return self->delegate(coord, a, std::move(name));
    },
    [=](forget_atom a, std::string& name) {
      return self->delegate(coord, a, std::move(name));
    },
    [=](prepared_atom a) { return self->delegate(coord, a); },
    // The store checks the read against the engine's limits (the same
    // check as for an embedded read_many).
    [=](read_atom a,
        std::vector<entity_id>& ids) -> caf::result<std::vector<record>> {
      if (auto err = refusal([&] { return ids; }))
        return err;
      if (auto err = held->check(ids))
        return err;
      return self->delegate(readers, a, std::move(ids));
    },
    // Checked by the store against the engine's limits, like a read. A
    // scan names no ids: `admit` sees none (a cluster node still refuses
    // while it cannot prove its lease).
    [=](scan_atom a, scan_request& req) -> caf::result<scan_page> {
      if (auto err = refusal([] { return std::vector<entity_id>{}; }))
        return err;
      return self->delegate(readers, a, std::move(req));
    },
    // The sender stays the sender: it is the watcher.
    [=](watch_atom a, entity_id& id,
        version_t after) -> caf::result<uint64_t> {
      if (auto err = refusal([&] { return std::vector<entity_id>{id}; }))
        return err;
      return self->delegate(caf::actor_cast<watch_service>(watches), a,
                            std::move(id), after);
    },
    [=](watch_ack_atom a, uint64_t wid) { self->delegate(watches, a, wid); },
    [=](unwatch_atom a, uint64_t wid) { self->delegate(watches, a, wid); },
  };
}

} // namespace entact::detail
