#include "commit_queue.hpp"

namespace entact::storage::detail {

bool commit_queue::push(pending_batch& batch) {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (closed_)
      return false;
    queue_.push_back(std::move(batch));
  }
  cv_.notify_one();
  return true;
}

std::vector<pending_batch> commit_queue::pop_group(size_t max_ops) {
  std::unique_lock<std::mutex> guard{mtx_};
  cv_.wait(guard, [this] { return closed_ || !queue_.empty(); });
  std::vector<pending_batch> group;
  size_t ops = 0;
  while (!queue_.empty()) {
    bool job = static_cast<bool>(queue_.front().job);
    if (job && !group.empty())
      break;
    auto next = queue_.front().ops.size();
    if (!group.empty() && ops + next > max_ops)
      break;
    ops += next;
    group.push_back(std::move(queue_.front()));
    queue_.pop_front();
    if (job)
      break;
  }
  return group;
}

void commit_queue::push_front(std::vector<pending_batch> batches) {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    for (auto i = batches.rbegin(); i != batches.rend(); ++i)
      queue_.push_front(std::move(*i));
  }
  cv_.notify_one();
}

void commit_queue::close() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    closed_ = true;
  }
  cv_.notify_all();
}

} // namespace entact::storage::detail
