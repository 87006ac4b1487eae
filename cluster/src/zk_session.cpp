#include "entact/cluster/zk_session.hpp"

#include "entact/errc.hpp"

namespace entact::cluster {

namespace {

/// ZooKeeper's own log goes to stderr; keep it to errors, once per process.
void quiet_client_log() {
  static std::once_flag once;
  std::call_once(once, [] { zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR); });
}

zk_state state_of(int state) {
  if (state == ZOO_CONNECTED_STATE)
    return zk_state::connected;
  if (state == ZOO_EXPIRED_SESSION_STATE)
    return zk_state::expired;
  if (state == ZOO_AUTH_FAILED_STATE)
    return zk_state::auth_failed;
  return zk_state::connecting;
}

} // namespace

const char* to_string(zk_state x) noexcept {
  switch (x) {
    case zk_state::connecting: return "connecting";
    case zk_state::connected: return "connected";
    case zk_state::expired: return "expired";
    case zk_state::auth_failed: return "auth_failed";
  }
  return "unknown";
}

zk_session::zk_session(options opts) : opts_(std::move(opts)) {
}

caf::expected<std::unique_ptr<zk_session>> zk_session::open(options opts) {
  if (opts.hosts.empty() || opts.hosts.size() > 1024)
    return make_error(errc::invalid_argument,
                      "ZooKeeper hosts must be 1..1024 bytes");
  if (opts.session_timeout.count() <= 0
      || opts.session_timeout > std::chrono::hours{1}
      || opts.connect_timeout.count() <= 0)
    return make_error(errc::invalid_argument,
                      "ZooKeeper timeouts must be positive (session <= 1 h)");
  quiet_client_log();
  std::unique_ptr<zk_session> s{new zk_session(std::move(opts))};
  s->zh_ = zookeeper_init(s->opts_.hosts.c_str(), &zk_session::on_watch,
                          static_cast<int>(s->opts_.session_timeout.count()),
                          nullptr, s.get(), 0);
  if (s->zh_ == nullptr)
    return make_error(errc::invalid_argument,
                      "ZooKeeper refused the hosts '" + s->opts_.hosts + "'");
  std::unique_lock<std::mutex> guard{s->mtx_};
  auto settled = s->changed_.wait_for(guard, s->opts_.connect_timeout, [&] {
    return s->state_ != zk_state::connecting;
  });
  if (!settled || s->state_ != zk_state::connected) {
    auto st = s->state_;
    guard.unlock();
    return make_error(errc::unavailable,
                      "no ZooKeeper session with " + s->opts_.hosts
                        + " within "
                        + std::to_string(s->opts_.connect_timeout.count())
                        + " ms (" + to_string(st) + ")");
  }
  guard.unlock();
  return s;
}

zk_session::~zk_session() {
  // Joins the client's threads: no callback runs after this.
  if (zh_ != nullptr)
    zookeeper_close(zh_);
}

void zk_session::on_watch(zhandle_t*, int type, int state, const char* path,
                          void* ctx) {
  if (ctx == nullptr)
    return;
  auto* self = static_cast<zk_session*>(ctx);
  if (type == ZOO_SESSION_EVENT)
    self->set_state(state_of(state));
  else if (self->opts_.on_change)
    // A data, child, creation or deletion event of a watched read.
    self->opts_.on_change(path != nullptr ? path : "");
}

void zk_session::set_state(zk_state st) {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    // Expiry and refused credentials are final for a handle.
    if (state_ == zk_state::expired || state_ == zk_state::auth_failed)
      return;
    state_ = st;
  }
  changed_.notify_all();
  if (opts_.on_state)
    opts_.on_state(st);
}

zk_state zk_session::state() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return state_;
}

std::chrono::milliseconds zk_session::session_timeout() const {
  return std::chrono::milliseconds{zoo_recv_timeout(zh_)};
}

int64_t zk_session::session_id() const {
  auto id = zoo_client_id(zh_);
  return id ? id->client_id : 0;
}

int zk_session::get(const std::string& path, std::string& data,
                    int32_t& version, bool watch) const {
  // One byte more than the bound tells "too large" from "exactly full".
  std::string buf(max_znode_bytes + 1, '\0');
  int len = static_cast<int>(buf.size());
  Stat stat{};
  auto rc = zoo_get(zh_, path.c_str(), watch ? 1 : 0, buf.data(), &len,
                    &stat);
  if (rc != ZOK)
    return rc;
  if (stat.dataLength < 0 || len < 0
      || static_cast<size_t>(stat.dataLength) > max_znode_bytes)
    return ZBADARGUMENTS;
  buf.resize(static_cast<size_t>(len));
  data = std::move(buf);
  version = stat.version;
  return ZOK;
}

int zk_session::create(const std::string& path, const std::string& data,
                       int flags) {
  if (data.size() > max_znode_bytes)
    return ZBADARGUMENTS;
  return zoo_create(zh_, path.c_str(), data.data(),
                    static_cast<int>(data.size()), &ZOO_OPEN_ACL_UNSAFE,
                    flags, nullptr, 0);
}

int zk_session::children(const std::string& path,
                         std::vector<std::string>& names, bool watch) const {
  String_vector list{0, nullptr};
  auto rc = zoo_get_children(zh_, path.c_str(), watch ? 1 : 0, &list);
  if (rc != ZOK)
    return rc;
  if (list.count < 0 || static_cast<size_t>(list.count) > max_children)
    rc = ZBADARGUMENTS;
  else
    for (int32_t i = 0; i < list.count; ++i)
      names.emplace_back(list.data[i]);
  deallocate_String_vector(&list);
  return rc;
}

int zk_session::multi(std::vector<zoo_op_t>& ops) {
  if (ops.empty())
    return ZOK;
  std::vector<zoo_op_result_t> results(ops.size());
  return zoo_multi(zh_, static_cast<int>(ops.size()), ops.data(),
                   results.data());
}

caf::error zk_session::failure(int rc, const std::string& call,
                               const std::string& path) {
  auto detail = "ZooKeeper " + call + " " + path + ": " + zerror(rc);
  if (rc == ZCONNECTIONLOSS || rc == ZSESSIONEXPIRED || rc == ZCLOSING
      || rc == ZOPERATIONTIMEOUT || rc == ZINVALIDSTATE)
    return make_error(errc::unavailable, std::move(detail));
  if (rc == ZNONODE)
    return make_error(errc::not_found, std::move(detail));
  return make_error(errc::storage_failure, std::move(detail));
}

} // namespace entact::cluster
