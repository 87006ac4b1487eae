#include "io_actors.hpp"

#include <caf/actor_pool.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/sec.hpp>

#include "entact/errc.hpp"
#include "entact/storage/store.hpp"

namespace entact::detail {

caf::error normalize(caf::error err) {
  if (!err || err.category() == error_category)
    return err;
  auto code = code_of(err);
  return make_error(code, to_string(err));
}

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
  };
}

template <class Request>
void forward(caf::event_based_actor* self, const router_api& router,
             caf::timespan timeout, Request request,
             record_callback done) {
  std::apply(
    [&](auto&&... xs) {
      return self->request(router, timeout, std::move(xs)...);
    },
    std::move(request))
    .then([done](record& r) { done(std::move(r)); },
          [done](caf::error& err) { done(normalize(std::move(err))); });
}

caf::behavior gateway(caf::event_based_actor* self, router_api router,
                      caf::timespan timeout) {
  return {
    [=](write_atom, write_op& op, record_callback& done) {
      forward(self, router, timeout,
              std::make_tuple(write_atom::value, std::move(op)),
              std::move(done));
    },
    [=](get_atom, entity_id& id, record_callback& done) {
      forward(self, router, timeout,
              std::make_tuple(get_atom::value, std::move(id)),
              std::move(done));
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

caf::actor spawn_gateway(caf::actor_system& sys, router_api router,
                         caf::timespan timeout) {
  return sys.spawn(gateway, std::move(router), timeout);
}

} // namespace entact::detail
