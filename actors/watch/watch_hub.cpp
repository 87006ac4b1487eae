#include "watch/watch_hub.hpp"

#include <utility>

#include "entact/errc.hpp"

namespace entact::detail {

watch_hub::watch_hub(size_t max_watches) : max_watches_(max_watches) {
  // nop
}

caf::error watch_hub::add(std::shared_ptr<watch_feed> feed,
                          caf::actor consumer) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (closed_)
    return make_error(errc::closed, "the engine is closing");
  if (feeds_.size() >= max_watches_)
    return make_error(errc::too_large,
                      "the engine already has " + std::to_string(max_watches_)
                        + " watches (max_watches)");
  auto key = feed->id();
  feeds_.emplace(std::move(key), entry{std::move(feed), std::move(consumer)});
  count_ = feeds_.size();
  return {};
}

void watch_hub::remove(const std::shared_ptr<watch_feed>& feed) {
  caf::actor consumer; // released outside the lock
  std::lock_guard<std::mutex> guard{mtx_};
  auto [first, last] = feeds_.equal_range(feed->id());
  for (auto i = first; i != last; ++i)
    if (i->second.feed == feed) {
      consumer = std::move(i->second.consumer);
      feeds_.erase(i);
      break;
    }
  count_ = feeds_.size();
}

void watch_hub::publish(const std::vector<record>& committed) {
  if (count_.load() == 0)
    return;
  std::lock_guard<std::mutex> guard{mtx_};
  for (const auto& r : committed) {
    auto [first, last] = feeds_.equal_range(r.id);
    for (auto i = first; i != last; ++i)
      i->second.feed->push(r);
  }
}

void watch_hub::close(const caf::error& why) {
  std::vector<std::shared_ptr<watch_feed>> ended;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    closed_ = true;
    for (auto& kvp : feeds_)
      ended.push_back(kvp.second.feed);
    closed_feeds_.merge(feeds_);
    feeds_.clear();
    count_ = 0;
  }
  for (auto& feed : ended)
    feed->end(why);
}

void watch_hub::release() {
  feeds dropped;
  std::lock_guard<std::mutex> guard{mtx_};
  dropped.swap(closed_feeds_);
}

} // namespace entact::detail
