#pragma once

#include <mutex>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "entact/watch.hpp"

namespace entact::test {

/// Keeps everything a watch delivers, for a test to wait on and check.
/// Declare it before the watch's handle, so it outlives the watch.
class watch_collector {
public:
  watch_callback callback() {
    return [this](caf::expected<watch_event> x) {
      std::lock_guard<std::mutex> guard{mtx_};
      if (x)
        events_.push_back(std::move(*x));
      else
        errors_.push_back(std::move(x.error()));
    };
  }

  std::vector<watch_event> events() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return events_;
  }

  std::vector<caf::error> errors() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return errors_;
  }

  size_t count() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return events_.size();
  }

  /// The version of the newest event (0 if none).
  version_t last_version() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return events_.empty() ? 0 : events_.back().rec.version;
  }

  /// True if the versions delivered strictly increase.
  bool in_order() const {
    std::lock_guard<std::mutex> guard{mtx_};
    for (size_t i = 1; i < events_.size(); ++i)
      if (events_[i].rec.version <= events_[i - 1].rec.version)
        return false;
    return true;
  }

private:
  mutable std::mutex mtx_;
  std::vector<watch_event> events_;
  std::vector<caf::error> errors_;
};

} // namespace entact::test
