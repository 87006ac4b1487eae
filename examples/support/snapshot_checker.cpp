#include "support/snapshot_checker.hpp"

#include <chrono>
#include <string>

#include "support/records.hpp"

namespace example {

snapshot_checker::snapshot_checker(entact::database& db,
                                   const std::vector<entact::entity_id>& ids,
                                   int64_t expected_total,
                                   problem_log& problems)
  : db_(db), ids_(ids), expected_(expected_total), problems_(problems),
    thread_([this] { run(); }) {
}

snapshot_checker::~snapshot_checker() {
  stop();
}

void snapshot_checker::stop() {
  stopping_ = true;
  if (thread_.joinable())
    thread_.join();
}

void snapshot_checker::run() {
  while (!stopping_) {
    auto recs = db_.read_many(ids_);
    if (!recs) {
      problems_.add("read_many (checker)", recs.error());
      return;
    }
    int64_t total = 0;
    for (auto& rec : *recs) {
      if (auto n = number_of(rec)) {
        total += *n;
      } else {
        problems_.add(rec.id + " holds no balance in a snapshot");
        total = -1;
        break;
      }
    }
    ++snapshots_;
    if (total != expected_) {
      ++wrong_;
      problems_.add("a snapshot's total is " + std::to_string(total)
                    + ", expected " + std::to_string(expected_));
    }
    // A breath between snapshots: leaves the two cores to the users.
    std::this_thread::sleep_for(std::chrono::milliseconds{1});
  }
}

} // namespace example
