#include "entact/engine.hpp"

#include <thread>

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "entact/not_found.hpp"
#include "entact/saturating.hpp"
#include "txn/coordinator.hpp"
#include "engine/engine_impl.hpp"
#include "engine/front_door.hpp"
#include "watch/local_watch.hpp"
#include "watch/remote_watches.hpp"
#include "entity/io_actors.hpp"
#include "entity/router.hpp"

namespace entact {

namespace {

/// Fills in what the router does not count (it counts entities): the
/// store's, the transactions' and the call gate's counters. One place for
/// `engine::stats` and the front door, so a remote client sees the same.
void add_engine_counters(const engine::impl& e, engine_stats& result) {
  auto st = e.store->stats();
  result.commit_groups = st.groups;
  result.batches_committed = st.batches_committed;
  result.writes_committed = st.writes_committed;
  result.batches_refused = st.batches_refused;
  result.commit_retries = st.retries;
  result.partitions = st.partitions;
  result.spanning_batches = st.spanning_batches;
  result.group_batches = std::move(st.group_batches);
  result.commit_seconds = std::move(st.commit_seconds);
  result.txn_begun = e.tctx.begun.load();
  result.txn_committed = e.tctx.committed.load();
  for (const auto& n : e.tctx.aborted)
    result.txn_aborted.push_back(n.load());
  result.overloaded = e.gate.overloaded()
                       + e.ctx.queue_refusals.load();
  result.calls_in_flight = e.gate.in_flight();
}

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
  if (opts.max_lease.count() <= 0)
    return make_error(errc::invalid_argument, "max_lease must be positive");
  if (opts.max_retryable_txns == 0)
    return make_error(errc::invalid_argument,
                      "max_retryable_txns must be >= 1");
  if (opts.twopc_ask_backoff.count() <= 0)
    return make_error(errc::invalid_argument,
                      "twopc_ask_backoff must be positive");
  if (opts.twopc_decision_wait.count() < 0 || opts.twopc_ask_after.count() < 0)
    return make_error(errc::invalid_argument,
                      "twopc_decision_wait and twopc_ask_after must not be "
                      "negative");
  if (opts.twopc_forget_after.count() < 0)
    return make_error(errc::invalid_argument,
                      "twopc_forget_after must not be negative");
  if (opts.limits.max_id_bytes == 0)
    return make_error(errc::invalid_argument, "max_id_bytes must be >= 1");
  if (opts.limits.max_read_ids == 0)
    return make_error(errc::invalid_argument, "max_read_ids must be >= 1");
  if (opts.limits.max_scan_records == 0)
    return make_error(errc::invalid_argument,
                      "max_scan_records must be >= 1");
  // A read of one record at the id and value limits must fit, or such a
  // record could be written and never read back (a remote `read` is a
  // read_many of one id).
  auto one_record = entact::detail::add_sat(opts.limits.max_id_bytes,
                                            opts.limits.max_value_bytes);
  if (opts.limits.max_read_bytes < one_record)
    return make_error(errc::invalid_argument,
                      "max_read_bytes must be at least max_id_bytes + "
                      "max_value_bytes ("
                        + std::to_string(one_record) + ")");
  return {};
}

size_t worker_count(const engine_options& opts) {
  if (opts.worker_threads > 0)
    return opts.worker_threads;
  return std::max(2u, std::thread::hardware_concurrency());
}

detail::feed_bounds watch_bounds(const engine_options& opts) {
  return {std::max<size_t>(opts.watch_queue, 1), opts.watch_queue_bytes};
}

/// The prepared table starts with what the store holds prepared: their
/// ids are locked again before `open` returns (see `wait_for_prepared`).
void spawn_prepared_table(engine::impl& e) {
  auto& sys = *e.sys;
  auto& t = e.twopc;
  t.router = e.router;
  t.store = e.store.get();
  t.held = &e.held;
  t.name = e.opts.twopc_name;
  t.decision_wait = e.opts.twopc_decision_wait;
  t.ask = e.opts.twopc_ask;
  t.ask_after = e.opts.twopc_ask_after;
  t.ask_backoff = e.opts.twopc_ask_backoff;
  t.check_prepared = e.opts.twopc_check_prepared;
  t.forget_after = e.opts.twopc_forget_after;
  t.test_hook = e.opts.twopc_test_hook;
  t.io = detail::spawn_runner(sys);
  t.asker = detail::spawn_runner(sys);
  e.prepared = sys.spawn(detail::prepared_table, &e.twopc,
                         e.store->prepared());
}

/// Waits until the locks of the transactions found prepared are taken
/// again: no call is served before.
caf::error wait_for_prepared(engine::impl& e) {
  caf::error result;
  caf::scoped_actor self{*e.sys};
  self->request(e.prepared, e.opts.request_timeout, detail::ready_atom::value)
    .receive([](bool) {},
             [&](caf::error& err) { result = detail::normalize(err); });
  return result;
}

void spawn_actors(engine::impl& e, size_t workers) {
  auto& sys = *e.sys;
  e.ctx.store = e.store.get();
  e.ctx.unpublished_batches = &e.unpublished_batches;
  e.ctx.operations = &e.operations;
  e.ctx.limits = e.opts.limits;
  e.ctx.readers = detail::spawn_readers(sys, e.store.get(), 2);
  e.ctx.max_queue = e.opts.max_queue_per_entity;
  e.ctx.write_wait = e.opts.request_timeout;
  detail::router_config rcfg{e.opts.resident_cap, e.opts.idle_timeout,
                             e.opts.limits};
  e.router = sys.spawn(detail::router, rcfg, &e.ctx);
  spawn_prepared_table(e);
  // Member by member: the context holds counters (atomics), not copyable.
  e.tctx.prepared = e.prepared;
  e.tctx.router = e.router;
  e.tctx.store = e.store.get();
  e.tctx.unpublished_batches = &e.unpublished_batches;
  e.tctx.limits = e.opts.limits;
  e.tctx.max_entities = e.opts.max_txn_entities;
  e.tctx.max_retryable = e.opts.max_retryable_txns;
  e.tctx.max_lease = e.opts.max_lease;
  e.coordinator = caf::actor_cast<coordinator_api>(
    sys.spawn(detail::coordinator, &e.tctx));
  detail::remote_watch_config wcfg;
  wcfg.hub = e.watches;
  wcfg.readers = e.ctx.readers;
  wcfg.bounds = watch_bounds(e.opts);
  wcfg.limits = e.opts.limits;
  wcfg.max_per_node = e.opts.max_watches_per_connection;
  e.watch_service = detail::spawn_remote_watches(sys, std::move(wcfg));
  e.door = sys.spawn(detail::front_door, caf::actor_cast<router_api>(e.router),
                     e.coordinator, e.ctx.readers, e.watch_service,
                     e.opts.admit, &e.held,
                     [&e](engine_stats& stats) { add_engine_counters(e, stats); });
  e.gate.start(sys, caf::actor_cast<router_api>(e.router),
               e.opts.request_timeout, workers, e.opts.max_calls_in_flight);
}

} // namespace

caf::expected<std::unique_ptr<engine>>
engine::open(engine_options opts, std::unique_ptr<entact::config> cfg) {
  if (auto err = check(opts))
    return err;
  auto ops = detail::operation_registry::make(opts.operations);
  if (!ops)
    return std::move(ops.error());
  auto watches = std::make_shared<detail::watch_hub>(opts.max_watches);
  storage::store_options store_opts;
  store_opts.path = opts.path;
  store_opts.sync = opts.sync;
  store_opts.partitions = opts.partitions;
  store_opts.span_test_hook = opts.twopc_test_hook;
  store_opts.limits = opts.limits;
  store_opts.on_commit = [watches](const std::vector<record>& committed) {
    watches->publish(committed);
  };
  auto st = storage::store::open(std::move(store_opts));
  if (!st)
    return std::move(st.error());
  auto ptr = std::make_unique<impl>();
  ptr->watches = std::move(watches);
  ptr->opts = std::move(opts);
  ptr->operations = std::move(*ops);
  ptr->store = std::move(*st);
  ptr->cfg = cfg ? std::move(cfg) : std::make_unique<entact::config>();
  auto workers = worker_count(ptr->opts);
  ptr->cfg->set("scheduler.max-threads", workers);
  // Work sharing, not stealing: on a few cores, stealing workers poll while
  // idle and take CPU from the store's committer thread (measured: W2
  // throughput +28%, p99 halved, and closing with many resident entities
  // 3.5x faster).
  ptr->cfg->set("scheduler.policy", caf::atom("sharing"));
  ptr->sys = std::make_unique<caf::actor_system>(*ptr->cfg);
  spawn_actors(*ptr, workers);
  std::unique_ptr<engine> result{new engine(std::move(ptr))};
  if (auto err = wait_for_prepared(*result->impl_))
    return err; // closed by `result`'s destructor
  return result;
}

engine::engine(std::unique_ptr<impl> ptr) : impl_(std::move(ptr)) {
  // nop
}

engine::~engine() {
  close();
}

void engine::close() {
  if (!impl_->gate.close_and_drain(impl_->opts.request_timeout * 2))
    return;
  run_close_hooks();
  // Watchers get what was committed, then `closed`; their actors stop.
  impl_->watches->close(detail::call_gate::closed_error());
  for (auto h : {caf::actor_cast<caf::actor>(impl_->door),
                 caf::actor_cast<caf::actor>(impl_->coordinator),
                 caf::actor_cast<caf::actor>(impl_->prepared),
                 caf::actor_cast<caf::actor>(impl_->twopc.io),
                 caf::actor_cast<caf::actor>(impl_->twopc.asker),
                 caf::actor_cast<caf::actor>(impl_->router),
                 caf::actor_cast<caf::actor>(impl_->ctx.readers),
                 impl_->watch_service})
    caf::anon_send_exit(h, caf::exit_reason::user_shutdown);
  impl_->gate.stop();
  impl_->door = nullptr;
  impl_->watch_service = nullptr;
  impl_->router = nullptr;
  impl_->coordinator = nullptr;
  impl_->prepared = nullptr;
  impl_->twopc.io = nullptr;
  impl_->twopc.asker = nullptr;
  impl_->ctx.readers = nullptr;
  impl_->sys->await_all_actors_done();
  // Only now: transaction actors read it until they are done (a release
  // sent to the stopped router is dropped); clearing it earlier raced
  // with them (UBSan: a null router in test_txn_locking).
  impl_->tctx.router = nullptr;
  impl_->tctx.prepared = nullptr;
  impl_->twopc.router = nullptr;
  impl_->watches->release();
  // Every actor is gone: the store commits what is left and closes.
  impl_->store.reset();
  impl_->sys.reset();
}

caf::expected<record> engine::get(const entity_id& id) {
  return impl_->gate.call(id, get_atom::value, id);
}

caf::expected<record> engine::read(const entity_id& id) {
  if (impl_->gate.closed())
    return detail::call_gate::closed_error();
  // Checked before the read (see held_ids.hpp).
  if (auto err = impl_->held.check(id))
    return err;
  auto r = impl_->store->read(id);
  if (!r)
    return r;
  return existing(std::move(*r));
}

caf::expected<std::vector<record>>
engine::read_many(const std::vector<entity_id>& ids) {
  if (impl_->gate.closed())
    return detail::call_gate::closed_error();
  if (auto err = impl_->held.check(ids))
    return err;
  return impl_->store->read_many(ids);
}

caf::expected<scan_page> engine::scan(const scan_request& req) {
  if (impl_->gate.closed())
    return detail::call_gate::closed_error();
  return impl_->store->scan(req);
}

caf::expected<std::vector<record>>
engine::apply_batch(std::vector<write_op> ops) {
  return impl_->gate.request<std::vector<record>>(
    impl_->coordinator, write_atom::value, std::move(ops));
}

caf::expected<record> engine::apply(write_op op) {
  auto key = op.id;
  return impl_->gate.call(key, write_atom::value, std::move(op));
}

void engine::apply_async(write_op op, record_callback done) {
  auto key = op.id;
  impl_->gate.send_async(key, std::move(done), write_atom::value,
                         std::move(op));
}

caf::expected<record> engine::modify(modify_op op) {
  auto key = op.id;
  return impl_->gate.call(key, modify_atom::value, std::move(op));
}

void engine::modify_async(modify_op op, record_callback done) {
  auto key = op.id;
  impl_->gate.send_async(key, std::move(done), modify_atom::value,
                         std::move(op));
}

caf::expected<watch_handle> engine::watch(const entity_id& id,
                                          version_t after_version,
                                          watch_callback cb) {
  if (impl_->gate.closed())
    return detail::call_gate::closed_error();
  if (auto err = validate_id(id, impl_->opts.limits))
    return err;
  return detail::start_local_watch(*impl_->sys, impl_->watches,
                                   impl_->ctx.readers, id, after_version,
                                   watch_bounds(impl_->opts), std::move(cb));
}

caf::expected<engine_stats> engine::stats() {
  return stats(impl_->opts.request_timeout);
}

caf::expected<engine_stats> engine::stats(std::chrono::milliseconds wait) {
  // Counted, so `close` waits for it, but past the admission bound: an
  // overloaded engine is when its counters matter most.
  detail::call_gate::scope call{impl_->gate};
  if (!call.entered())
    return detail::call_gate::closed_error();
  auto result = impl_->gate.relay<engine_stats>(
    impl_->router, std::chrono::duration_cast<caf::timespan>(wait),
    stats_atom::value);
  if (!result)
    return result;
  add_engine_counters(*impl_, *result);
  // Less this call itself.
  --result->calls_in_flight;
  return result;
}

router_api engine::router() const {
  return caf::actor_cast<router_api>(impl_->router);
}

void engine::on_close(std::function<void()> hook) {
  {
    std::lock_guard<std::mutex> guard{impl_->hooks_mtx};
    if (!impl_->hooks_ran) {
      impl_->close_hooks.push_back(std::move(hook));
      return;
    }
  }
  hook();
}

void engine::run_close_hooks() {
  std::vector<std::function<void()>> hooks;
  {
    std::lock_guard<std::mutex> guard{impl_->hooks_mtx};
    impl_->hooks_ran = true;
    hooks.swap(impl_->close_hooks);
  }
  for (auto& h : hooks)
    h(); // outside the lock: a hook may wait for calls in flight
}

caf::expected<std::vector<prepared_info>> engine::prepared_transactions() {
  return impl_->gate.request<std::vector<prepared_info>>(
    impl_->coordinator, prepared_atom::value);
}

caf::expected<decision_stats> engine::decision_stats() {
  return impl_->gate.request<entact::decision_stats>(
    impl_->prepared, detail::decision_stats_atom::value);
}

coordinator_api engine::coordinator() const {
  return impl_->coordinator;
}

server_api engine::front_door() const {
  return impl_->door;
}

caf::actor_system& engine::system() {
  return *impl_->sys;
}

const engine_options& engine::options() const noexcept {
  return impl_->opts;
}

} // namespace entact
