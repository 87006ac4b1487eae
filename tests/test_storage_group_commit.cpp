#include <boost/test/unit_test.hpp>

#include <atomic>
#include <future>
#include <memory>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "entact/conflict.hpp"
#include "entact/errc.hpp"
#include "entact/storage/store.hpp"
#include "support/temp_dir.hpp"
#include "support/print.hpp"

using namespace entact;
using namespace entact::storage;

namespace {

using outcome = caf::expected<std::vector<record>>;

std::unique_ptr<store> open_store(const std::string& path, bool sync,
                                  size_t max_group_ops = 4096) {
  store_options opts;
  opts.path = path;
  opts.sync = sync;
  opts.max_group_ops = max_group_ops;
  auto s = store::open(opts);
  BOOST_REQUIRE(s);
  return std::move(*s);
}

/// Read-modify-write of `id` until it commits; returns the conflicts seen.
/// A conflict's payload names the stored version, so no re-read is needed.
int bump(store& db, const std::string& id, const std::string& value) {
  auto seen = db.read(id)->version;
  for (int conflicts = 0;; ++conflicts) {
    auto r = db.commit({write_op::update(id, seen, value)});
    if (r)
      return conflicts;
    auto c = conflict_of(r.error());
    BOOST_REQUIRE_MESSAGE(c, "unexpected " << to_string(code_of(r.error())));
    seen = c->stored.version;
  }
}

} // namespace

BOOST_AUTO_TEST_SUITE(group_commit)

BOOST_AUTO_TEST_CASE(concurrent_read_modify_write_loses_nothing_and_groups) {
  constexpr int threads = 8;
  constexpr int rounds = 40;
  constexpr int shared_keys = 3;
  entact::test::temp_dir dir;
  auto db = open_store(dir.sub("db"), true);
  std::vector<write_op> setup;
  for (int k = 0; k < shared_keys; ++k)
    setup.push_back(write_op::create("shared-" + std::to_string(k), "0"));
  for (int t = 0; t < threads; ++t)
    setup.push_back(write_op::create("own-" + std::to_string(t), "0"));
  BOOST_REQUIRE(db->commit(setup));
  std::atomic<int> conflicts{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&, t] {
      auto own = "own-" + std::to_string(t);
      for (int i = 0; i < rounds; ++i) {
        auto key = "shared-" + std::to_string((t + i) % shared_keys);
        conflicts += bump(*db, key, std::to_string(t));
        // Only this thread writes its own key: its version is known.
        auto r = db->commit({write_op::update(own, i + 1, std::to_string(i))});
        BOOST_TEST(static_cast<bool>(r));
      }
    });
  for (auto& w : workers)
    w.join();
  // Each (t, i) bumps shared key (t + i) % 3 exactly once.
  std::vector<version_t> expected(shared_keys, 1);
  for (int t = 0; t < threads; ++t)
    for (int i = 0; i < rounds; ++i)
      ++expected[(t + i) % shared_keys];
  for (int k = 0; k < shared_keys; ++k)
    BOOST_TEST(db->read("shared-" + std::to_string(k))->version == expected[k]);
  for (int t = 0; t < threads; ++t)
    BOOST_TEST(db->read("own-" + std::to_string(t))->version
               == version_t{rounds + 1});
  auto st = db->stats();
  uint64_t commits = 1 + 2 * threads * rounds;
  BOOST_TEST_MESSAGE("groups " << st.groups << " for " << commits
                               << " commits, " << conflicts.load()
                               << " conflicts");
  BOOST_TEST(st.batches_committed == commits);
  BOOST_TEST(st.batches_refused == uint64_t(conflicts.load()));
  BOOST_TEST(st.groups < commits);
}

BOOST_AUTO_TEST_CASE(max_group_ops_bounds_a_group) {
  entact::test::temp_dir dir;
  auto db = open_store(dir.sub("db"), false, 2);
  std::vector<std::future<outcome>> results;
  std::vector<std::shared_ptr<std::promise<outcome>>> promises;
  for (int i = 0; i < 50; ++i) {
    auto p = std::make_shared<std::promise<outcome>>();
    results.push_back(p->get_future());
    db->commit_async({write_op::unconditional("k" + std::to_string(i % 5), "v"),
                      write_op::unconditional("x" + std::to_string(i), "v")},
                     [p](outcome x) { p->set_value(std::move(x)); });
  }
  // A batch larger than the bound still commits, alone.
  auto big = db->commit({write_op::create("b1", "v"), write_op::create("b2", "v"),
                         write_op::create("b3", "v")});
  BOOST_TEST(static_cast<bool>(big));
  for (auto& r : results)
    BOOST_TEST(static_cast<bool>(r.get()));
  auto st = db->stats();
  // Every batch has two ops, so no group can hold two batches.
  BOOST_TEST(st.groups == 51u);
  BOOST_TEST(st.batches_committed == 51u);
  BOOST_TEST(db->read("k0")->version == 10u);
}

BOOST_AUTO_TEST_CASE(close_commits_what_is_queued_then_refuses) {
  entact::test::temp_dir dir;
  std::atomic<int> ok{0};
  {
    auto db = open_store(dir.sub("db"), true);
    for (int i = 0; i < 100; ++i)
      db->commit_async({write_op::unconditional("c", std::to_string(i))},
                       [&](outcome x) { ok += x ? 1 : 0; });
    db->close();
    BOOST_TEST(ok.load() == 100);
    auto late = db->commit({write_op::create("late", "v")});
    BOOST_REQUIRE(!late);
    BOOST_TEST(code_of(late.error()) == errc::closed);
    bool called = false;
    db->commit_async({write_op::create("late", "v")}, [&](outcome x) {
      called = true;
      BOOST_TEST(code_of(x.error()) == errc::closed);
    });
    BOOST_TEST(called);
    // Reads keep working until destruction; a second close is harmless.
    BOOST_TEST(db->read("c")->version == 100u);
    db->close();
  }
  auto db = open_store(dir.sub("db"), true);
  BOOST_TEST(db->read("c")->version == 100u);
  BOOST_TEST(db->read("c")->value == "99");
  BOOST_TEST(db->read("late")->version == no_version);
}

BOOST_AUTO_TEST_CASE(destructor_drains_and_refuses_commits_from_callbacks) {
  // A callback that commits again while the store is being destroyed must
  // get `closed` (or succeed, if it ran before destruction began), never
  // hang or crash.
  entact::test::temp_dir dir;
  std::atomic<int> first_ok{0};
  std::atomic<int> nested_closed{0};
  std::atomic<int> nested_other{0};
  {
    auto db = open_store(dir.sub("db"), true);
    auto* raw = db.get();
    for (int i = 0; i < 20; ++i)
      db->commit_async({write_op::unconditional("d", "v")}, [&, raw](outcome x) {
        first_ok += x ? 1 : 0;
        raw->commit_async({write_op::unconditional("nested", "v")},
                          [&](outcome y) {
                            if (!y && code_of(y.error()) == errc::closed)
                              ++nested_closed;
                            else
                              ++nested_other;
                          });
      });
  }
  BOOST_TEST(first_ok.load() == 20);
  BOOST_TEST(nested_closed.load() + nested_other.load() == 20);
  auto db = open_store(dir.sub("db"), true);
  BOOST_TEST(db->read("d")->version == 20u);
  BOOST_TEST(db->read("nested")->version == version_t(nested_other.load()));
}

BOOST_AUTO_TEST_CASE(close_from_a_callback_does_not_deadlock) {
  entact::test::temp_dir dir;
  auto db = open_store(dir.sub("db"), false);
  std::promise<void> done;
  db->commit_async({write_op::create("a", "v")}, [&](outcome x) {
    BOOST_TEST(static_cast<bool>(x));
    db->close();
    done.set_value();
  });
  done.get_future().wait();
  auto late = db->commit({write_op::create("b", "v")});
  BOOST_REQUIRE(!late);
  BOOST_TEST(code_of(late.error()) == errc::closed);
  db.reset();
}

BOOST_AUTO_TEST_SUITE_END()
