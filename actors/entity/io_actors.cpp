#include "entity/io_actors.hpp"

#include <caf/actor_pool.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/sec.hpp>

#include "entact/errc.hpp"
#include "entact/storage/store.hpp"

namespace entact::detail {

namespace {

using records = std::vector<record>;

caf::behavior reader(caf::event_based_actor*, storage::store* store) {
  return {
    [store](load_atom, const entity_id& id) -> caf::result<record> {
      auto r = store->read(id);
      if (!r)
        return std::move(r.error());
      return std::move(*r);
    },
    [store](read_atom,
            const std::vector<entity_id>& ids) -> caf::result<records> {
      auto r = store->read_many(ids);
      if (!r)
        return std::move(r.error());
      return std::move(*r);
    },
    [store](scan_atom, const scan_request& req) -> caf::result<scan_page> {
      auto r = store->scan(req);
      if (!r)
        return std::move(r.error());
      return std::move(*r);
    },
  };
}

} // namespace

reader_api spawn_readers(caf::actor_system& sys, storage::store* store,
                         size_t n) {
  auto make = [&sys, store] { return sys.spawn<caf::detached>(reader, store); };
  auto pool = caf::actor_pool::make(sys.dummy_execution_unit(), n, make,
                                    caf::actor_pool::round_robin());
  return caf::actor_cast<reader_api>(std::move(pool));
}

} // namespace entact::detail
