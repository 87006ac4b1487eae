#include "entact/client.hpp"

#include <mutex>
#include <set>
#include <string>

#include <caf/exit_reason.hpp>
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>

#include "callers/call_gate.hpp"
#include "callers/logger_unpin.hpp"
#include "client_watches.hpp"
#include "dial_within.hpp"
#include "tls_dial.hpp"
#include "entact/not_found.hpp"
#include "entact/register_types.hpp"
#include "txn/run_transaction.hpp"

namespace entact {

namespace detail {

/// Holds the node id of a client's actor system among those of the
/// process's live clients, until destroyed. Why: CAF 0.17.6 numbers a
/// process's actor systems in one byte of their node id, so the 257th has
/// the node id of the first; a server refuses a connection claiming the
/// node id of one it holds (the frame guard), so such a client would
/// connect and then fail every call while the first one lives.
class client_node_claim {
public:
  client_node_claim() = default;
  client_node_claim(const client_node_claim&) = delete;
  client_node_claim& operator=(const client_node_claim&) = delete;

  ~client_node_claim() {
    if (node_.empty())
      return;
    auto& live = live_nodes();
    std::lock_guard<std::mutex> guard{live.mtx};
    live.ids.erase(node_);
  }

  /// Claims `node`; false if a live client holds it.
  bool take(std::string node) {
    auto& live = live_nodes();
    std::lock_guard<std::mutex> guard{live.mtx};
    if (!live.ids.insert(node).second)
      return false;
    node_ = std::move(node);
    return true;
  }

private:
  struct registry {
    std::mutex mtx;
    std::set<std::string> ids;
  };

  static registry& live_nodes() {
    // Never destroyed: a client may outlive the statics.
    static auto* live = new registry;
    return *live;
  }

  std::string node_;
};

} // namespace detail

struct client::impl {
  client_options opts;
  entact::config cfg;
  detail::client_node_claim node_claim; // before `sys`: released after it
  std::unique_ptr<caf::actor_system> sys;
  std::unique_ptr<detail::tls_dialer> tls; // after `sys`: destroyed before it
  server_api server;
  /// Receives this client's watches (client_watches.hpp).
  caf::actor watches;
  detail::call_gate gate;
};

namespace {

using records = std::vector<record>;

caf::error unreachable(const client_options& opts, const caf::error& why,
                       const std::string& tls_failure = {}) {
  return make_error(errc::unreachable,
                    "cannot reach entactd at " + opts.host + ":"
                      + std::to_string(opts.port) + ": " + to_string(why)
                      + (tls_failure.empty() ? "" : "; " + tls_failure));
}

/// Connects through TLS (`opts.tls`), verifying the server. Errors:
/// `invalid_argument` (the TLS options), `unreachable`.
caf::expected<server_api> remote_over_tls(client::impl& st) {
  auto dialer = detail::tls_dialer::make(*st.sys, st.opts.tls);
  if (!dialer)
    return std::move(dialer.error());
  st.tls = std::move(*dialer);
  auto found = st.tls->remote_actor(st.sys->message_types<server_api>(),
                                    st.opts.host, st.opts.port,
                                    st.opts.connect_timeout);
  if (!found)
    return unreachable(st.opts, found.error(), st.tls->failure());
  return caf::actor_cast<server_api>(std::move(*found));
}

/// Connects over plain TCP, within `opts.connect_timeout`. Errors:
/// `unreachable`.
caf::expected<server_api> remote_over_tcp(client::impl& st) {
  auto& sys = *st.sys;
  auto mm = caf::actor_cast<caf::actor>(sys.middleman().actor_handle());
  auto found = detail::dial_within(sys, mm, sys.message_types<server_api>(),
                                   st.opts.host, st.opts.port,
                                   st.opts.connect_timeout);
  if (!found)
    return unreachable(st.opts, found.error());
  return caf::actor_cast<server_api>(std::move(*found));
}

} // namespace

caf::expected<std::unique_ptr<client>> client::connect(client_options opts) {
  if (opts.host.empty() || opts.port == 0)
    return make_error(errc::invalid_argument, "host and port are required");
  if (opts.request_timeout.count() <= 0 || opts.connect_timeout.count() <= 0)
    return make_error(errc::invalid_argument, "timeouts must be positive");
  detail::logger_unpin unpin; // the system and the dial's scoped actor pin it
  auto ptr = std::make_unique<impl>();
  ptr->opts = std::move(opts);
  ptr->cfg.load<caf::io::middleman>();
  // Work sharing, as the engine (faster round trips), with at least two
  // threads: with one, blocking calls to the server starved.
  ptr->cfg.set("scheduler.policy", caf::atom("sharing"));
  ptr->cfg.set("scheduler.max-threads",
               std::max<size_t>(ptr->opts.worker_threads, 2));
  // A node id no live client of this process holds (client_node_claim):
  // each new system takes the next number, 256 at most.
  for (int made = 1;; ++made) {
    ptr->sys = std::make_unique<caf::actor_system>(ptr->cfg);
    if (ptr->node_claim.take(to_string(ptr->sys->node())))
      break;
    ptr->sys.reset();
    if (made == 256)
      return make_error(errc::too_large,
                        "256 clients live in this process: CAF 0.17 has no "
                        "node id left for another one");
  }
  auto server = ptr->opts.tls.enabled() ? remote_over_tls(*ptr)
                                        : remote_over_tcp(*ptr);
  if (!server)
    return std::move(server.error()); // invalid_argument or unreachable
  ptr->server = std::move(*server);
  ptr->watches = detail::spawn_client_watches(*ptr->sys, ptr->server,
                                              ptr->opts.request_timeout);
  ptr->gate.start(*ptr->sys, caf::actor_cast<router_api>(ptr->server),
                  ptr->opts.request_timeout,
                  std::max<size_t>(ptr->opts.worker_threads, 1));
  return std::unique_ptr<client>{new client(std::move(ptr))};
}

caf::expected<std::unique_ptr<client>> connect(client_options opts) {
  return client::connect(std::move(opts));
}

caf::expected<std::unique_ptr<client>> connect(const std::string& host,
                                               uint16_t port) {
  client_options opts;
  opts.host = host;
  opts.port = port;
  return connect(std::move(opts));
}

client::client(std::unique_ptr<impl> ptr) : impl_(std::move(ptr)) {
  // nop
}

client::~client() {
  close();
}

void client::close() {
  if (!impl_->gate.close_and_drain(impl_->opts.request_timeout * 2))
    return;
  caf::anon_send_exit(impl_->watches, caf::exit_reason::user_shutdown);
  impl_->watches = nullptr;
  impl_->gate.stop();
  impl_->server = nullptr;
  impl_->tls.reset();
  impl_->sys.reset();
}

bool client::connected() const noexcept {
  return !impl_->gate.closed() && !impl_->gate.target_gone();
}

caf::expected<record> client::get(const entity_id& id) {
  return impl_->gate.call(id, get_atom::value, id);
}

caf::expected<record> client::read(const entity_id& id) {
  auto recs = read_many({id});
  if (!recs)
    return std::move(recs.error());
  if (recs->size() != 1)
    return make_error(errc::invalid_argument,
                      "the server answered a read of one id with "
                        + std::to_string(recs->size()) + " records");
  return existing(std::move(recs->front()));
}

caf::expected<records> client::read_many(const std::vector<entity_id>& ids) {
  return impl_->gate.request<records>(impl_->server,
                                      read_atom::value, ids);
}

caf::expected<scan_page> client::scan(const scan_request& req) {
  return impl_->gate.request<scan_page>(impl_->server, scan_atom::value, req);
}

caf::expected<records> client::transact(const std::vector<entity_id>& ids,
                                        const txn_body& body,
                                        const txn_options& opts,
                                        const retry_policy& retry) {
  return detail::run_transaction(
    impl_->gate, caf::actor_cast<coordinator_api>(impl_->server),
    impl_->opts.request_timeout, ids, body, opts, retry);
}

caf::expected<record> client::apply(write_op op) {
  auto key = op.id;
  return impl_->gate.call(key, write_atom::value, std::move(op));
}

caf::expected<records> client::apply_batch(std::vector<write_op> ops) {
  return impl_->gate.request<records>(impl_->server,
                                      write_atom::value, std::move(ops));
}

void client::apply_async(write_op op, record_callback done) {
  auto key = op.id;
  impl_->gate.send_async(key, std::move(done), write_atom::value,
                         std::move(op));
}

caf::expected<record> client::modify(modify_op op) {
  auto key = op.id;
  return impl_->gate.call(key, modify_atom::value, std::move(op));
}

void client::modify_async(modify_op op, record_callback done) {
  auto key = op.id;
  impl_->gate.send_async(key, std::move(done), modify_atom::value,
                         std::move(op));
}

caf::expected<watch_handle> client::watch(const entity_id& id,
                                          version_t after_version,
                                          watch_callback cb) {
  if (!cb)
    return make_error(errc::invalid_argument, "a watch needs a callback");
  if (auto err = validate_id(id))
    return err;
  if (!impl_->watches)
    return detail::call_gate::closed_error();
  auto sink = std::make_shared<detail::watch_sink>(std::move(cb));
  caf::expected<uint64_t> wid = make_error(errc::timeout);
  detail::logger_unpin unpin; // the scoped actor below pins this thread
  {
    caf::scoped_actor self{*impl_->sys};
    // The watcher asks within request_timeout; a little more here, so its
    // own answer (the server's error, or its timeout) is what we report.
    self
      ->request(impl_->watches, impl_->opts.request_timeout * 2,
                watch_atom::value, id, after_version, sink)
      .receive(
        [&](uint64_t x) { wid = x; },
        [&](caf::error& err) { wid = detail::normalize(std::move(err)); });
  }
  if (!wid)
    return std::move(wid.error());
  return watch_handle{[sink, w = *wid, addr = impl_->watches.address()] {
    sink->cancel();
    if (auto watcher = caf::actor_cast<caf::actor>(addr))
      caf::anon_send(watcher, unwatch_atom::value, w);
  }};
}

caf::expected<engine_stats> client::stats() {
  return impl_->gate.request<engine_stats>(impl_->server,
                                           stats_atom::value);
}

caf::expected<txn_begun> client::begin(const txn_options& opts,
                                       const std::vector<entity_id>& ids) {
  if (auto err = impl_->gate.refusal())
    return err;
  detail::call_gate::scope call{impl_->gate};
  if (!call.entered())
    return detail::call_gate::closed_error();
  auto coord = caf::actor_cast<coordinator_api>(impl_->server);
  // Nobody commits or aborts a transaction whose answer came too late.
  detail::call_gate::undo_fn<txn_begun> abort_late =
    [coord](caf::event_based_actor* self, txn_begun& begun) {
      if (!begun.error)
        self->request(coord, caf::infinite, abort_atom::value, begun.handle.id)
          .then([](bool) {}, [](caf::error&) {});
    };
  return impl_->gate.relay_or_undo<txn_begun>(
    coord, opts.lock_wait + impl_->opts.request_timeout, abort_late,
    begin_atom::value, opts, ids);
}

caf::expected<std::vector<record>>
client::commit(txn_id txn, std::vector<txn_write> writes) {
  return impl_->gate.request<std::vector<record>>(
    impl_->server, commit_atom::value, txn, std::move(writes));
}

caf::expected<bool> client::abort(txn_id txn) {
  return impl_->gate.request<bool>(impl_->server, abort_atom::value, txn);
}

caf::expected<bool> client::prepare(txn_id txn, std::vector<txn_write> writes,
                                    txn_prepare p) {
  return impl_->gate.request<bool>(impl_->server, prepare_atom::value, txn,
                                   std::move(writes), std::move(p));
}

caf::expected<std::vector<record>>
client::commit_prepared(const std::string& name, bool as_decision) {
  return impl_->gate.request<std::vector<record>>(
    impl_->server, commit_prepared_atom::value, name, as_decision);
}

caf::expected<bool> client::abort_prepared(const std::string& name) {
  return impl_->gate.request<bool>(impl_->server, abort_prepared_atom::value,
                                   name);
}

caf::expected<twopc_outcome> client::decision_of(const std::string& name) {
  return impl_->gate.request<twopc_outcome>(impl_->server,
                                            decision_atom::value, name);
}

caf::expected<bool> client::forget_decision(const std::string& name) {
  return impl_->gate.request<bool>(impl_->server, forget_atom::value, name);
}

caf::expected<std::vector<prepared_info>> client::prepared_transactions() {
  return impl_->gate.request<std::vector<prepared_info>>(
    impl_->server, prepared_atom::value);
}

server_api client::server() const {
  return impl_->server;
}

caf::actor_system& client::system() {
  return *impl_->sys;
}

} // namespace entact
