#include <boost/test/unit_test.hpp>

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <vector>

#include <sys/resource.h>

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

/// The size of the newest write-ahead log in `dir` (RocksDB's `*.log`).
uintmax_t wal_size(const std::string& dir) {
  std::filesystem::path newest;
  for (const auto& f : std::filesystem::directory_iterator(dir))
    if (f.path().extension() == ".log" && f.path() > newest)
      newest = f.path();
  BOOST_REQUIRE(!newest.empty());
  return std::filesystem::file_size(newest);
}

/// Limits the size of every file this process writes (RLIMIT_FSIZE), so
/// that RocksDB's next WAL append past `bytes` fails with EFBIG: a real
/// write error. Restores the limit when it goes.
class file_size_limit {
public:
  explicit file_size_limit(uintmax_t bytes) {
    std::signal(SIGXFSZ, SIG_IGN); // the error, not the signal's core dump
    BOOST_REQUIRE(getrlimit(RLIMIT_FSIZE, &old_) == 0);
    rlimit lower = old_;
    lower.rlim_cur = static_cast<rlim_t>(bytes);
    BOOST_REQUIRE(setrlimit(RLIMIT_FSIZE, &lower) == 0);
  }

  ~file_size_limit() {
    setrlimit(RLIMIT_FSIZE, &old_);
  }

private:
  rlimit old_{};
};

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
  // Fails the 6th group write (the creates are the first 4). (It also
  // failed the 20th, to see that no group came after the chains broke; on a
  // busy machine the updates queue slowly, groups are small, and the chains
  // the 6th did not hold go on past 20 writes: ctest -j2 beside
  // test_storage_partitions.)
  auto db = open_store(dir.sub("db"), [&] {
    auto n = ++writes;
    bool fail = n == 6;
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
  BOOST_TEST(failed.load() == 1);
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

// RocksDB stops writing after a failed WAL write: every group after it
// fails, none is acknowledged, and what is stored is what was acknowledged.
BOOST_AUTO_TEST_CASE(a_rocksdb_write_error_stops_every_later_group) {
  entact::test::temp_dir dir;
  auto db = open_store(dir.sub("db"));
  for (const auto& id : ids)
    BOOST_REQUIRE(db->commit({write_op::create(id, "v1")}));
  // The limit is for every file: the WAL must be the largest (RocksDB's
  // info LOG, a few KB, must stay below it).
  BOOST_REQUIRE(db->commit(
    {write_op::create("padding", std::string(512 * 1024, 'p'))}));
  answers got{ids.size() * steps};
  {
    // Room for a few dozen of the updates (~40 bytes each in the WAL).
    file_size_limit limit{wal_size(dir.sub("db")) + 2048};
    for (version_t v = 2; v <= steps + 1; ++v)
      for (size_t i = 0; i < ids.size(); ++i)
        db->commit_async({write_op::update(ids[i], v - 1,
                                           "v" + std::to_string(v))},
                         [&got, i, v](outcome r) {
                           got.arrive(i, v - 1, std::move(r));
                         });
    got.wait();
  }
  std::map<size_t, version_t> acknowledged;
  size_t ok = 0;
  size_t failed_writes = 0;
  for (const auto& a : got.wait()) {
    if (a.result) {
      BOOST_TEST(failed_writes == 0u); // nothing acknowledged after
      acknowledged[a.id] = a.result->front().version;
      ++ok;
    } else if (code_of(a.result.error()) != errc::conflict) {
      BOOST_TEST(code_of(a.result.error()) == errc::storage_failure);
      ++failed_writes;
    }
  }
  BOOST_TEST(ok > 0u);
  BOOST_TEST(failed_writes > 0u);
  for (size_t i = 0; i < ids.size(); ++i)
    BOOST_TEST(db->read(ids[i])->version
               == std::max<version_t>(acknowledged[i], 1));
  db.reset();
  db = open_store(dir.sub("db"));
  for (size_t i = 0; i < ids.size(); ++i)
    BOOST_TEST(db->read(ids[i])->version
               == std::max<version_t>(acknowledged[i], 1));
}

BOOST_AUTO_TEST_SUITE_END()
