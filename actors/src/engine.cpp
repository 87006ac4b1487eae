#include "entact/engine.hpp"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "coordinator.hpp"
#include "engine_impl.hpp"
#include "io_actors.hpp"
#include "router.hpp"

namespace entact {

namespace {

caf::error check(const engine_options& opts) {
  if (opts.path.empty())
    return make_error(errc::invalid_argument, "engine path is empty");
  if (opts.resident_cap == 0)
    return make_error(errc::invalid_argument, "resident_cap must be >= 1");
  if (opts.max_queue_per_entity == 0)
    return make_error(errc::invalid_argument,
                      "max_queue_per_entity must be >= 1");
  if (opts.idle_timeout.count() <= 0 || opts.request_timeout.count() <= 0)
    return make_error(errc::invalid_argument, "timeouts must be positive");
  if (opts.max_txn_entities == 0)
    return make_error(errc::invalid_argument, "max_txn_entities must be >= 1");
  if (opts.limits.max_id_bytes == 0)
    return make_error(errc::invalid_argument, "max_id_bytes must be >= 1");
  return {};
}

size_t worker_count(const engine_options& opts) {
  if (opts.worker_threads > 0)
    return opts.worker_threads;
  return std::max(2u, std::thread::hardware_concurrency());
}

} // namespace

caf::expected<std::unique_ptr<engine>> engine::open(engine_options opts) {
  if (auto err = check(opts))
    return err;
  auto st = storage::store::open({opts.path, opts.sync, 4096, opts.limits});
  if (!st)
    return std::move(st.error());
  auto ptr = std::make_unique<impl>();
  ptr->opts = std::move(opts);
  ptr->store = std::move(*st);
  auto workers = worker_count(ptr->opts);
  ptr->cfg.set("scheduler.max-threads", workers);
  ptr->sys = std::make_unique<caf::actor_system>(ptr->cfg);
  auto& sys = *ptr->sys;
  ptr->ctx.store = ptr->store.get();
  ptr->ctx.readers = detail::spawn_readers(sys, ptr->store.get(), 2);
  ptr->ctx.max_queue = ptr->opts.max_queue_per_entity;
  ptr->ctx.write_wait = ptr->opts.request_timeout;
  detail::router_config rcfg{ptr->opts.resident_cap, ptr->opts.idle_timeout,
                             ptr->opts.limits};
  ptr->router = sys.spawn(detail::router, rcfg, &ptr->ctx);
  ptr->tctx = detail::txn_context{ptr->router, ptr->store.get(),
                                  ptr->opts.limits,
                                  ptr->opts.max_txn_entities};
  ptr->coordinator = caf::actor_cast<coordinator_api>(
    sys.spawn(detail::coordinator, &ptr->tctx));
  for (size_t i = 0; i < workers; ++i)
    ptr->gateways.push_back(
      detail::spawn_gateway(sys, ptr->router, ptr->opts.request_timeout));
  return std::unique_ptr<engine>{new engine(std::move(ptr))};
}

engine::engine(std::unique_ptr<impl> ptr) : impl_(std::move(ptr)) {
  // nop
}

engine::~engine() {
  close();
}

void engine::close() {
  if (impl_->closed.exchange(true))
    return;
  {
    std::unique_lock<std::mutex> guard{impl_->mtx};
    impl_->idle.wait_for(guard, impl_->opts.request_timeout * 2,
                         [this] { return impl_->outstanding == 0; });
  }
  auto& sys = *impl_->sys;
  caf::anon_send_exit(impl_->coordinator, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(impl_->router, caf::exit_reason::user_shutdown);
  for (auto& g : impl_->gateways)
    caf::anon_send_exit(g, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(impl_->ctx.readers, caf::exit_reason::user_shutdown);
  impl_->router = nullptr;
  impl_->coordinator = nullptr;
  impl_->tctx.router = nullptr;
  impl_->gateways.clear();
  impl_->ctx.readers = nullptr;
  sys.await_all_actors_done();
  // Every actor is gone: the store commits what is left and closes.
  impl_->store.reset();
  impl_->sys.reset();
}

caf::expected<record> engine::get(const entity_id& id) {
  auto p = std::make_shared<std::promise<caf::expected<record>>>();
  auto f = p->get_future();
  impl_->send_async(
    [p](caf::expected<record> r) { p->set_value(std::move(r)); },
    get_atom::value, id);
  return impl_->wait(std::move(f));
}

caf::expected<record> engine::read(const entity_id& id) {
  if (impl_->closed)
    return make_error(errc::closed, "the engine is closed");
  auto r = impl_->store->read(id);
  if (r && !r->exists())
    return make_error(errc::not_found, id);
  return r;
}

caf::expected<std::vector<record>>
engine::read_many(const std::vector<entity_id>& ids) {
  if (impl_->closed)
    return make_error(errc::closed, "the engine is closed");
  return impl_->store->read_many(ids);
}

caf::expected<std::vector<record>>
engine::apply_batch(std::vector<write_op> ops) {
  if (!impl_->enter())
    return make_error(errc::closed, "the engine is closed");
  caf::expected<std::vector<record>> result = make_error(errc::timeout);
  {
    caf::scoped_actor self{*impl_->sys};
    self
      ->request(impl_->coordinator, impl_->opts.request_timeout,
                write_atom::value, std::move(ops))
      .receive([&](std::vector<record>& recs) { result = std::move(recs); },
               [&](caf::error& err) { result = detail::normalize(err); });
  }
  impl_->leave();
  return result;
}

caf::expected<record> engine::apply(write_op op) {
  return impl_->wait(apply_future(std::move(op)));
}

void engine::apply_async(write_op op, record_callback done) {
  impl_->send_async(std::move(done), write_atom::value, std::move(op));
}

caf::expected<engine_stats> engine::stats() {
  if (impl_->closed)
    return make_error(errc::closed, "the engine is closed");
  caf::scoped_actor self{*impl_->sys};
  caf::expected<engine_stats> result = make_error(errc::timeout);
  self->request(impl_->router, impl_->opts.request_timeout, stats_atom::value)
    .receive([&](engine_stats& s) { result = s; },
             [&](caf::error& err) { result = detail::normalize(err); });
  return result;
}

router_api engine::router() const {
  return caf::actor_cast<router_api>(impl_->router);
}

coordinator_api engine::coordinator() const {
  return impl_->coordinator;
}

caf::actor_system& engine::system() {
  return *impl_->sys;
}

const engine_options& engine::options() const noexcept {
  return impl_->opts;
}

} // namespace entact
