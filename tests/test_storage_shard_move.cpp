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
#include "support/prepared_store.hpp"
#include "support/print.hpp"
#include "support/temp_dir.hpp"

// The two store calls of a shard move, through a real RocksDB directory:
// `install` writes records with the versions they had elsewhere, newer-only
// (a retry never goes back, the committer's known versions learn them), and
// `fence` refuses the fenced ids' writes from the moment it returns, while
// every write before it is durable.

using namespace entact;
using namespace entact::storage;

namespace {

struct fixture {
  entact::test::temp_dir dir;
  std::unique_ptr<store> db;

  fixture() {
    reopen();
  }

  void reopen() {
    db.reset();
    store_options opts;
    opts.path = dir.sub("db");
    auto s = store::open(opts);
    BOOST_REQUIRE_MESSAGE(s, "open failed");
    db = std::move(*s);
  }

  record read(const std::string& id) {
    auto r = db->read(id);
    BOOST_REQUIRE_MESSAGE(r, "read failed");
    return *r;
  }
};

record live(const std::string& id, version_t v, std::string value) {
  return record{id, v, std::move(value), false};
}

bool fenced_id(const entity_id& id) {
  return id.rfind("s/", 0) == 0;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(storage_shard_move, fixture)

BOOST_AUTO_TEST_CASE(install_keeps_versions_and_never_goes_back) {
  auto n = db->install({live("a", 7, "a7"),
                        record{"b", 3, {}, true}, live("c", 2, "c2")});
  BOOST_REQUIRE(n);
  BOOST_TEST(*n == 3u);
  BOOST_TEST((read("a") == live("a", 7, "a7")));
  BOOST_TEST(read("b").deleted);
  BOOST_TEST(read("b").version == 3u);
  // A retry with older records changes nothing; a newer one wins.
  n = db->install({live("a", 5, "old"), live("c", 2, "again"),
                   live("c", 4, "c4")});
  BOOST_REQUIRE(n);
  BOOST_TEST(*n == 1u);
  BOOST_TEST((read("a") == live("a", 7, "a7")));
  BOOST_TEST((read("c") == live("c", 4, "c4")));
  // Durable across a restart.
  reopen();
  BOOST_TEST((read("a") == live("a", 7, "a7")));
  BOOST_TEST((read("c") == live("c", 4, "c4")));
}

BOOST_AUTO_TEST_CASE(the_committer_decides_on_installed_versions) {
  // The committer knows "a" at 1 from its own write; the install moves it
  // to 9 behind that knowledge.
  BOOST_REQUIRE(db->commit({write_op::create("a", "mine")}));
  BOOST_REQUIRE(db->install({live("a", 9, "moved")}));
  auto stale = db->commit({write_op::update("a", 1, "stale")});
  BOOST_REQUIRE(!stale);
  BOOST_TEST(code_of(stale.error()) == errc::conflict);
  auto c = conflict_of(stale.error());
  BOOST_REQUIRE(c);
  BOOST_TEST(c->stored.version == 9u);
  auto next = db->commit({write_op::update("a", 9, "next")});
  BOOST_REQUIRE(next);
  BOOST_TEST(next->front().version == 10u);
  // An install never beats what was committed since.
  BOOST_REQUIRE(db->install({live("a", 9, "moved")}));
  BOOST_TEST((read("a") == live("a", 10, "next")));
}

BOOST_AUTO_TEST_CASE(bad_installs_write_nothing) {
  auto unversioned = db->install({live("ok", 1, "x"), record{"v", 0, "x", false}});
  BOOST_REQUIRE(!unversioned);
  BOOST_TEST(code_of(unversioned.error()) == errc::invalid_argument);
  auto bad_id = db->install({live("ok", 1, "x"), live("", 1, "x")});
  BOOST_REQUIRE(!bad_id);
  std::vector<record> many(store::max_install_records + 1, live("m", 1, "x"));
  auto too_many = db->install(many);
  BOOST_REQUIRE(!too_many);
  BOOST_TEST(code_of(too_many.error()) == errc::too_large);
  BOOST_TEST(read("ok").version == no_version);
}

BOOST_AUTO_TEST_CASE(a_fence_refuses_fenced_ids_only) {
  auto a = db->commit({write_op::create("s/1", "before")});
  BOOST_REQUIRE(a);
  BOOST_REQUIRE(!db->fence(fenced_id));
  auto refused = db->commit({write_op::update("s/1", 1, "after")});
  BOOST_REQUIRE(!refused);
  BOOST_TEST(code_of(refused.error()) == errc::unavailable);
  // A batch naming one fenced id is refused whole.
  auto mixed = db->commit({write_op::create("t/1", "x"),
                           write_op::create("s/2", "y")});
  BOOST_REQUIRE(!mixed);
  BOOST_TEST(code_of(mixed.error()) == errc::unavailable);
  BOOST_TEST(read("t/1").version == no_version);
  BOOST_TEST(read("s/2").version == no_version);
  BOOST_TEST(db->commit({write_op::create("t/1", "free")}).engaged());
  // A prepare of a fenced id is refused too.
  auto prep = db->prepare(
    test::prepare_of("t1", {write_op::update("s/1", 1, "prepared")}));
  BOOST_REQUIRE(!prep);
  BOOST_TEST(code_of(prep.error()) == errc::unavailable);
  // Installing is the move's own write: not fenced.
  BOOST_REQUIRE(db->install({live("s/1", 5, "moved in")}));
  BOOST_TEST((read("s/1") == live("s/1", 5, "moved in")));
  // Lifted: writes go through again.
  BOOST_REQUIRE(!db->fence(nullptr));
  auto after = db->commit({write_op::update("s/1", 5, "served")});
  BOOST_REQUIRE(after);
  BOOST_TEST(after->front().version == 6u);
}

BOOST_AUTO_TEST_CASE(every_write_acknowledged_before_the_fence_is_stored) {
  // Writers race the fence: each write is acknowledged or refused
  // `unavailable`, and once the fence returned, what is stored is exactly
  // the last acknowledged write; nothing changes after it.
  constexpr int writers = 4;
  std::vector<std::atomic<version_t>> acked(writers);
  std::atomic<bool> stop{false};
  std::atomic<int> other_errors{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w) {
    auto id = "s/" + std::to_string(w);
    BOOST_REQUIRE(db->commit({write_op::create(id, "0")}));
    acked[w] = 1;
    threads.emplace_back([&, w, id] {
      while (!stop) {
        auto v = acked[w].load();
        auto r = db->commit({write_op::update(id, v, std::to_string(v))});
        if (r)
          acked[w] = r->front().version;
        else if (code_of(r.error()) != errc::unavailable)
          ++other_errors;
      }
    });
  }
  while (acked[0] < 20 || acked[writers - 1] < 20)
    std::this_thread::yield();
  BOOST_REQUIRE(!db->fence(fenced_id));
  std::vector<record> at_fence;
  for (int w = 0; w < writers; ++w)
    at_fence.push_back(read("s/" + std::to_string(w)));
  // More writes try, and all are refused.
  auto refused_before = db->stats().batches_refused;
  while (db->stats().batches_refused < refused_before + 20)
    std::this_thread::yield();
  stop = true;
  for (auto& t : threads)
    t.join();
  BOOST_TEST(other_errors == 0);
  for (int w = 0; w < writers; ++w) {
    auto now = read("s/" + std::to_string(w));
    BOOST_TEST(now.version == acked[w].load());
    BOOST_TEST((now == at_fence[w]));
  }
}

BOOST_AUTO_TEST_SUITE_END()
