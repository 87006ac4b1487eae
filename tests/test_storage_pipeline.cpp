#include <boost/test/unit_test.hpp>

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <vector>

#include "entact/errc.hpp"
#include "entact/storage/store.hpp"
#include "support/print.hpp"
#include "support/temp_dir.hpp"

// The committer decides group N+1 while group N is written (a pipeline of
// two threads). These tests check what that must never change: a group is
// acknowledged only once it and every group before it is durable, and
// nothing decided on a write that failed is written or acknowledged.

using namespace entact;
using namespace entact::storage;

namespace {

using outcome = caf::expected<std::vector<record>>;

const std::vector<std::string> ids{"a", "b", "c", "d"};
constexpr version_t steps = 120; // chained updates per id

/// The answers of chained updates, in the order their callbacks ran.
class answers {
public:
  explicit answers(size_t expected) : left_(expected) {
  }

  void arrive(size_t id, version_t expected, outcome r) {
    std::lock_guard<std::mutex> guard{mtx_};
    order_.push_back({id, expected, std::move(r)});
    if (--left_ == 0)
      cv_.notify_all();
  }

  struct answer {
    size_t id;
    version_t expected;
    outcome result;
  };

  /// Waits for every answer (a bound so that a lost callback fails the
  /// test instead of hanging it).
  const std::vector<answer>& wait() {
    std::unique_lock<std::mutex> guard{mtx_};
    BOOST_REQUIRE(cv_.wait_for(guard, std::chrono::seconds(60),
                               [this] { return left_ == 0; }));
    return order_;
  }

private:
  std::mutex mtx_;
  std::condition_variable cv_;
  size_t left_;
  std::vector<answer> order_;
};

/// Creates every id (version 1), then queues `steps` chained updates of
/// each, interleaved (update from version 1, 2, ... of a, b, c, d, a, ...),
/// without waiting: most groups are decided on the writes of the group
/// before, still in flight.
const std::vector<answers::answer>& run_chains(store& db, answers& got) {
  for (const auto& id : ids)
    BOOST_REQUIRE(db.commit({write_op::create(id, "v1")}));
  for (version_t v = 1; v <= steps; ++v)
    for (size_t i = 0; i < ids.size(); ++i)
      db.commit_async({write_op::update(ids[i], v, "v" + std::to_string(v + 1))},
                      [&got, i, v](outcome r) { got.arrive(i, v, std::move(r)); });
  return got.wait();
}

std::unique_ptr<store> open_store(const std::string& path,
                                  std::function<bool()> fail = nullptr) {
  store_options opts;
  opts.path = path;
  opts.sync = false;
  opts.max_group_ops = 8; // many small groups: many hand-overs
  opts.fail_write_for_test = std::move(fail);
  auto s = store::open(opts);
  BOOST_REQUIRE(s);
  return std::move(*s);
}

} // namespace

BOOST_AUTO_TEST_SUITE(storage_pipeline)

BOOST_AUTO_TEST_CASE(callbacks_run_in_queue_order_once_durable) {
  entact::test::temp_dir dir;
  auto db = open_store(dir.sub("db"));
  answers got{ids.size() * steps};
  std::map<size_t, version_t> last;
  for (const auto& a : run_chains(*db, got)) {
    BOOST_REQUIRE_MESSAGE(a.result, "update of " << ids[a.id] << " from "
                                                 << a.expected << " failed");
    BOOST_TEST(a.result->front().version == a.expected + 1);
    // In queue order: each id's answers come from version 1 upwards.
    BOOST_TEST(a.expected == last[a.id] + 1);
    last[a.id] = a.expected;
  }
  for (const auto& id : ids)
    BOOST_TEST(db->read(id)->version == steps + 1);
}

BOOST_AUTO_TEST_CASE(a_failed_write_acknowledges_nothing_decided_on_it) {
  entact::test::temp_dir dir;
  std::atomic<int> writes{0};
  std::atomic<int> failed{0};
  // Fails the 6th and the 20th group write (the creates are the first 4).
  auto db = open_store(dir.sub("db"), [&] {
    auto n = ++writes;
    bool fail = n == 6 || n == 20;
    failed += fail ? 1 : 0;
    return fail;
  });
  answers got{ids.size() * steps};
  std::map<size_t, version_t> acknowledged; // id -> newest version
  std::map<size_t, bool> broken;            // id -> a refusal was seen
  size_t write_failures = 0;
  for (const auto& a : run_chains(*db, got)) {
    if (a.result) {
      // Never after this chain broke, and always the next version: a group
      // decided on the failed write would skip one.
      BOOST_TEST(!broken[a.id]);
      BOOST_TEST(a.result->front().version
                 == std::max<version_t>(acknowledged[a.id], 1) + 1);
      acknowledged[a.id] = a.result->front().version;
      continue;
    }
    broken[a.id] = true;
    auto code = code_of(a.result.error());
    if (code == errc::storage_failure || code == errc::in_doubt)
      ++write_failures;
    else
      BOOST_TEST((code == errc::conflict),
                 "unexpected " << to_string(a.result.error()));
  }
  BOOST_TEST(failed.load() == 1); // the 20th write never came
  BOOST_TEST(write_failures > 0u);
  // Nothing acknowledged lost, nothing unacknowledged stored.
  for (size_t i = 0; i < ids.size(); ++i)
    BOOST_TEST(db->read(ids[i])->version
               == std::max<version_t>(acknowledged[i], 1));
  // The store goes on from what is stored, and a reopen agrees.
  for (size_t i = 0; i < ids.size(); ++i) {
    auto v = db->read(ids[i])->version;
    BOOST_TEST(static_cast<bool>(db->commit({write_op::update(ids[i], v, "x")})));
  }
  db.reset();
  db = open_store(dir.sub("db"));
  for (size_t i = 0; i < ids.size(); ++i)
    BOOST_TEST(db->read(ids[i])->version
               == std::max<version_t>(acknowledged[i], 1) + 1);
}

BOOST_AUTO_TEST_SUITE_END()
