#include "watch_streams.hpp"

namespace entact::http {

watch_streams::slot::slot(watch_streams& owner,
                          std::shared_ptr<watch_handoff> handoff)
  : owner_(owner), handoff_(std::move(handoff)) {
}

watch_streams::slot::~slot() {
  owner_.close(handoff_);
}

watch_streams::watch_streams(size_t max, gateway_metrics& metrics)
  : max_(max), metrics_(metrics) {
}

std::unique_ptr<watch_streams::slot>
watch_streams::open(std::shared_ptr<watch_handoff> handoff) {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (!stopping_ && open_.size() < max_) {
      open_.insert(handoff);
      metrics_.watch_opened();
      return std::make_unique<slot>(*this, std::move(handoff));
    }
  }
  metrics_.watch_refused();
  return nullptr;
}

void watch_streams::close(const std::shared_ptr<watch_handoff>& handoff) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (open_.erase(handoff) > 0)
    metrics_.watch_closed();
}

void watch_streams::stop_all() {
  std::lock_guard<std::mutex> guard{mtx_};
  stopping_ = true;
  for (const auto& handoff : open_)
    handoff->stop();
}

} // namespace entact::http
