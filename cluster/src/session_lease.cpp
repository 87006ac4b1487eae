#include "entact/cluster/session_lease.hpp"

namespace entact::cluster {

namespace {

using clock = std::chrono::steady_clock;

/// One probe in flight: what it extends, and when it was sent.
struct probe {
  std::shared_ptr<session_lease::state> lease;
  clock::duration length;
  clock::time_point sent;
};

void on_answer(int rc, const Stat*, const void* data) {
  std::unique_ptr<probe> p{static_cast<probe*>(const_cast<void*>(data))};
  // Only an answer of the live session proves it; ZNONODE is one.
  if (rc != ZOK && rc != ZNONODE)
    return;
  auto until = (p->sent + p->length).time_since_epoch().count();
  auto& cur = p->lease->until;
  auto seen = cur.load();
  while (seen < until && !cur.compare_exchange_weak(seen, until)) {
  }
}

} // namespace

session_lease::session_lease(zk_session& zk, std::string probe_path,
                             double fraction)
  : zk_(zk), probe_path_(std::move(probe_path)) {
  auto timeout = std::chrono::duration<double>(zk_.session_timeout());
  length_ = std::chrono::duration_cast<clock::duration>(timeout * fraction);
  refresh();
  refresher_ = std::thread{[this] { run(); }};
}

session_lease::~session_lease() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    stopping_ = true;
  }
  wake_.notify_all();
  refresher_.join();
}

bool session_lease::valid(clock::time_point now) const {
  return state_->valid(now);
}

clock::time_point session_lease::valid_until() const {
  return clock::time_point{clock::duration{state_->until.load()}};
}

void session_lease::refresh() {
  auto p = std::make_unique<probe>(probe{state_, length_, clock::now()});
  if (zoo_aexists(zk_.handle(), probe_path_.c_str(), 0, &on_answer, p.get())
      == ZOK)
    p.release(); // on_answer owns it now
}

void session_lease::run() {
  auto period = zk_.session_timeout() / 4;
  std::unique_lock<std::mutex> guard{mtx_};
  while (!wake_.wait_for(guard, period, [this] { return stopping_; }))
    refresh();
}

} // namespace entact::cluster
