#include "map_follower.hpp"

namespace entact::detail {

using cluster::cluster_view;
using cluster::zk_session;
using cluster::zk_state;

map_follower::map_follower(cluster::cluster_address where,
                           std::chrono::milliseconds connect_timeout,
                           view_callback on_view)
  : where_(std::move(where)), connect_timeout_(connect_timeout),
    on_view_(std::move(on_view)) {
}

caf::expected<std::unique_ptr<map_follower>>
map_follower::start(cluster::cluster_address where,
                    std::chrono::milliseconds connect_timeout,
                    view_callback on_view) {
  std::unique_ptr<map_follower> f{
    new map_follower(std::move(where), connect_timeout, std::move(on_view))};
  if (auto err = f->open_session())
    return err;
  auto view = read_cluster(*f->zk_, f->where_.name, true);
  if (!view)
    return view.error();
  f->publish(std::move(*view));
  f->thread_ = std::thread{[p = f.get()] { p->run(); }};
  return f;
}

map_follower::~map_follower() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable())
    thread_.join();
  std::lock_guard<std::mutex> guard{zk_mtx_};
  zk_.reset(); // joins ZooKeeper's threads: no callback runs after this
}

caf::error map_follower::open_session() {
  zk_session::options zo;
  zo.hosts = where_.zk_hosts;
  zo.connect_timeout = connect_timeout_;
  // Runs on ZooKeeper's completion thread: only flags and a wake-up.
  auto wake = [this](bool expiry) {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      changed_ = true;
      expired_ = expired_ || expiry;
    }
    wake_.notify_all();
  };
  // A reconnect may follow changes the old connection missed (the client
  // sets its watches again, but a read that failed set none).
  zo.on_state = [wake](zk_state st) {
    if (st != zk_state::connecting)
      wake(st != zk_state::connected);
  };
  zo.on_change = [wake](const std::string&) { wake(false); };
  auto s = zk_session::open(std::move(zo));
  if (!s)
    return s.error();
  zk_ = std::move(*s);
  return {};
}

std::shared_ptr<const cluster_view> map_follower::view() const {
  std::lock_guard<std::mutex> guard{view_mtx_};
  return view_;
}

void map_follower::publish(cluster_view view) {
  auto shared = std::make_shared<const cluster_view>(std::move(view));
  {
    std::lock_guard<std::mutex> guard{view_mtx_};
    view_ = shared;
  }
  if (on_view_)
    on_view_(shared);
}

bool map_follower::refresh() {
  // Published under the lock too: an older read never replaces a newer.
  std::lock_guard<std::mutex> guard{zk_mtx_};
  if (!zk_)
    return false;
  auto view = read_cluster(*zk_, where_.name, true);
  if (!view)
    return false;
  publish(std::move(*view));
  return true;
}

void map_follower::poke() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    changed_ = true;
  }
  wake_.notify_all();
}

void map_follower::run() {
  bool read_failed = false;
  std::unique_lock<std::mutex> guard{mtx_};
  while (!stopping_) {
    auto woken = [this] { return stopping_ || changed_; };
    // Every change fires a watch; only a read that failed part-way (and so
    // may have set only some of the watches) is tried again unasked.
    if (read_failed)
      wake_.wait_for(guard, retry_pause, woken);
    else
      wake_.wait(guard, woken);
    if (stopping_)
      break;
    changed_ = false;
    bool expired = std::exchange(expired_, false);
    guard.unlock();
    if (expired && !replace_session()) {
      guard.lock();
      expired_ = true; // try again after the pause
      read_failed = true;
      continue;
    }
    read_failed = !refresh();
    guard.lock();
  }
}

bool map_follower::replace_session() {
  // The old handle is dead: a new session, whose first read sets the
  // watches again. Until it opens, the last map stays.
  std::lock_guard<std::mutex> guard{zk_mtx_};
  auto old = std::move(zk_);
  old.reset();
  return !open_session();
}

} // namespace entact::detail
