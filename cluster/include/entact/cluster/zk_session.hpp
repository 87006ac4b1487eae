#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <zookeeper/zookeeper.h>

namespace entact::cluster {

/// What the session watcher reports.
enum class zk_state {
  /// Not (or no longer) connected; the client is trying to (re)connect and
  /// the session may still be alive on the server.
  connecting,
  /// Connected: the server knows the session.
  connected,
  /// The server expired the session: its ephemeral nodes are gone and the
  /// handle is dead. Open a new session.
  expired,
  /// The server refused the credentials; the handle is dead.
  auth_failed,
};

const char* to_string(zk_state x) noexcept;

/// The largest data of one znode the session reads (bigger data is refused
/// with `errc::too_large`, never truncated silently).
constexpr size_t max_znode_bytes = 4096;

/// The most children one listing returns (more is `errc::too_large`).
constexpr size_t max_children = 4096;

/// One ZooKeeper session through the multi-threaded C client, which keeps
/// the session alive itself (pings every third of the timeout). Owning:
/// the destructor closes the session, so its ephemeral nodes go at once.
///
/// The synchronous calls return ZooKeeper's code (ZOK, ZNONODE, ...); they
/// are bounded by the client: a lost connection fails pending calls with
/// ZCONNECTIONLOSS after at most the session timeout. They must not be
/// called from the `on_state` callback (ZooKeeper's completion thread).
class zk_session {
public:
  struct options {
    /// The connect string: "host:port[,host:port...]".
    std::string hosts;
    /// The session timeout asked for; the server clamps it into its
    /// [2, 20] ticks range (`session_timeout()` is what it granted).
    std::chrono::milliseconds session_timeout{10000};
    /// How long `open` waits for the first connection.
    std::chrono::milliseconds connect_timeout{10000};
    /// Called on every state change, on ZooKeeper's completion thread: must
    /// be quick and must not call the session's synchronous functions.
    std::function<void(zk_state)> on_state;
    /// Called when a znode read with `watch` set changes (its data, its
    /// children, or it is created or deleted): once per read, on the same
    /// thread and with the same rules as `on_state`. Read it again, with
    /// `watch`, to hear of the next change.
    std::function<void(const std::string& path)> on_change;
  };

  /// Connects and waits (at most `connect_timeout`) until the server has
  /// granted a session. Errors: `errc::invalid_argument` (bad hosts or
  /// timeout), `errc::unavailable` (no session within the deadline).
  static caf::expected<std::unique_ptr<zk_session>> open(options opts);

  ~zk_session();

  zk_session(const zk_session&) = delete;
  zk_session& operator=(const zk_session&) = delete;

  zk_state state() const;

  /// The session timeout the server granted.
  std::chrono::milliseconds session_timeout() const;

  /// The session id (0 before connection), for logs.
  int64_t session_id() const;

  /// The raw handle, for asynchronous calls (see session_lease).
  zhandle_t* handle() const {
    return zh_;
  }

  /// Reads `path`'s data and its version; with `watch`, `on_change` hears
  /// of its next change. Data over `max_znode_bytes` gives ZBADARGUMENTS
  /// (never a silently truncated value).
  int get(const std::string& path, std::string& data, int32_t& version,
          bool watch = false) const;

  /// Creates `path` with `data`; `flags` is ZOO_PERSISTENT or ZOO_EPHEMERAL.
  int create(const std::string& path, const std::string& data, int flags);

  /// Lists `path`'s children (at most `max_children`, else ZBADARGUMENTS);
  /// with `watch`, `on_change` hears when a child comes or goes.
  int children(const std::string& path, std::vector<std::string>& names,
               bool watch = false) const;

  /// Runs `ops` atomically: all or none.
  int multi(std::vector<zoo_op_t>& ops);

  /// Translates a ZooKeeper code of a call on `path` into entact's error:
  /// connection loss, expiry and closing are `errc::unavailable`, ZNONODE
  /// `errc::not_found`, anything else `errc::storage_failure`; the detail
  /// names the call, the path and ZooKeeper's text.
  static caf::error failure(int rc, const std::string& call,
                            const std::string& path);

private:
  explicit zk_session(options opts);

  static void on_watch(zhandle_t* zh, int type, int state, const char* path,
                       void* ctx);

  void set_state(zk_state st);

  options opts_;
  zhandle_t* zh_ = nullptr;
  mutable std::mutex mtx_;
  std::condition_variable changed_;
  zk_state state_ = zk_state::connecting;
};

} // namespace entact::cluster
