#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include <rocksdb/utilities/optimistic_transaction_db.h>
#include <rocksdb/utilities/transaction.h>

#include "entact/conflict.hpp"
#include "entact/errc.hpp"
#include "entact/storage/record_codec.hpp"
#include "entact/storage/store.hpp"
#include "support/temp_dir.hpp"
#include "support/print.hpp"

// The store's in-memory view is never the authority: these tests write
// behind its back, through RocksDB directly, and check that a stale write
// never lands.

using namespace entact;
using namespace entact::storage;

namespace {

struct fixture {
  entact::test::temp_dir dir;
  std::unique_ptr<store> db;

  fixture() {
    store_options opts;
    opts.path = dir.sub("db");
    auto s = store::open(opts);
    BOOST_REQUIRE(s);
    db = std::move(*s);
  }

  void put_raw(const record& r) {
    auto s = db->raw_db()->Put(rocksdb::WriteOptions{}, entity_key(r.id),
                               encode_record(r));
    BOOST_REQUIRE(s.ok());
  }

  record raw(const std::string& id) {
    std::string bytes;
    auto s = db->raw_db()->Get(rocksdb::ReadOptions{}, entity_key(id), &bytes);
    BOOST_REQUIRE(s.ok());
    auto r = decode_record(id, bytes);
    BOOST_REQUIRE(r);
    return *r;
  }
};

record live(const std::string& id, version_t v, std::string value) {
  return record{id, v, std::move(value), false};
}

using outcome = caf::expected<std::vector<record>>;

store::commit_callback fulfil(std::promise<outcome>& p) {
  return [&p](outcome x) { p.set_value(std::move(x)); };
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(storage_recheck, fixture)

BOOST_AUTO_TEST_CASE(stale_update_after_direct_write_is_a_conflict) {
  BOOST_REQUIRE(db->commit({write_op::create("a", "v1")}));
  put_raw(live("a", 7, "written from outside"));
  auto r = db->commit({write_op::update("a", 1, "stale")});
  BOOST_REQUIRE(!r);
  auto c = conflict_of(r.error());
  BOOST_REQUIRE(c);
  BOOST_TEST((c->stored == live("a", 7, "written from outside")));
  BOOST_TEST((raw("a") == live("a", 7, "written from outside")));
  auto ok = db->commit({write_op::update("a", 7, "fresh")});
  BOOST_REQUIRE(ok);
  BOOST_TEST((*ok)[0].version == 8u);
}

BOOST_AUTO_TEST_CASE(write_between_read_and_commit_forces_a_fresh_rerun) {
  BOOST_REQUIRE(db->commit({write_op::create("a", "v1")}));
  std::atomic<int> calls{0};
  db->set_before_commit_hook([&] {
    // Only the first attempt is raced: the re-run must see this record.
    if (calls++ == 0)
      put_raw(live("a", 2, "sneaked in"));
  });
  auto r = db->commit({write_op::update("a", 1, "stale")});
  db->set_before_commit_hook({});
  BOOST_REQUIRE(!r);
  auto c = conflict_of(r.error());
  BOOST_REQUIRE(c);
  BOOST_TEST((c->stored == live("a", 2, "sneaked in")));
  BOOST_TEST((raw("a") == live("a", 2, "sneaked in")));
  BOOST_TEST(db->stats().retries == 1u);
  // The re-run found nothing to write, so no commit was attempted again.
  BOOST_TEST(calls.load() == 1);
}

BOOST_AUTO_TEST_CASE(rerun_keeps_the_batches_that_still_apply) {
  BOOST_REQUIRE(db->commit({write_op::create("a", "v1"),
                            write_op::create("b", "v1")}));
  // Group 1 ("warm") is held in the hook until batches A and B are queued,
  // so A and B form group 2 together. Group 2's first attempt is raced on
  // "a"; its re-run must refuse A and still commit B.
  std::promise<void> entered;
  std::promise<void> release;
  auto released = release.get_future().share();
  std::atomic<int> calls{0};
  db->set_before_commit_hook([&] {
    auto n = ++calls;
    if (n == 1) {
      entered.set_value();
      released.wait();
    } else if (n == 2) {
      put_raw(live("a", 2, "sneaked in"));
    }
  });
  std::promise<outcome> warm, a, b;
  db->commit_async({write_op::create("warm", "w")}, fulfil(warm));
  entered.get_future().wait();
  db->commit_async({write_op::update("a", 1, "stale")}, fulfil(a));
  db->commit_async({write_op::update("b", 1, "mine")}, fulfil(b));
  release.set_value();
  BOOST_TEST(static_cast<bool>(warm.get_future().get()));
  auto ra = a.get_future().get();
  auto rb = b.get_future().get();
  db->set_before_commit_hook({});
  BOOST_REQUIRE(!ra);
  auto c = conflict_of(ra.error());
  BOOST_REQUIRE(c);
  BOOST_TEST((c->stored == live("a", 2, "sneaked in")));
  BOOST_REQUIRE(rb);
  BOOST_TEST(((*rb)[0] == live("b", 2, "mine")));
  BOOST_TEST((raw("a") == live("a", 2, "sneaked in")));
  BOOST_TEST((raw("b") == live("b", 2, "mine")));
  BOOST_TEST(calls.load() == 3);
  BOOST_TEST(db->stats().retries == 1u);
}

BOOST_AUTO_TEST_CASE(rerun_with_an_unconditional_write_builds_on_the_new_record) {
  BOOST_REQUIRE(db->commit({write_op::create("a", "v1")}));
  std::atomic<int> calls{0};
  db->set_before_commit_hook([&] {
    if (calls++ == 0)
      put_raw(live("a", 5, "sneaked in"));
  });
  auto r = db->commit({write_op::unconditional("a", "last word")});
  db->set_before_commit_hook({});
  BOOST_REQUIRE(r);
  BOOST_TEST(((*r)[0] == live("a", 6, "last word")));
  BOOST_TEST((raw("a") == live("a", 6, "last word")));
  BOOST_TEST(db->stats().retries == 1u);
  BOOST_TEST(calls.load() == 2);
}

BOOST_AUTO_TEST_CASE(endless_outside_writes_give_up_with_storage_failure) {
  BOOST_REQUIRE(db->commit({write_op::create("a", "v1")}));
  std::atomic<version_t> next{100};
  db->set_before_commit_hook([&] { put_raw(live("a", next++, "outside")); });
  auto r = db->commit({write_op::unconditional("a", "never lands")});
  db->set_before_commit_hook({});
  BOOST_REQUIRE(!r);
  BOOST_TEST(code_of(r.error()) == errc::storage_failure);
  BOOST_TEST(raw("a").value == "outside");
  BOOST_TEST(db->stats().retries == 32u);
  BOOST_TEST(db->stats().groups == 1u); // only the initial create
}

BOOST_AUTO_TEST_CASE(racing_outside_writer_never_loses_an_update) {
  // An outside writer does its own read-modify-write transactions on the
  // same key while the store commits on it. Every successful write, from
  // either side, adds exactly one version: any lost update shows up as a
  // final version below the number of successes.
  BOOST_REQUIRE(db->commit({write_op::create("hot", "0")}));
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> outside_ok{0};
  std::thread outside{[&] {
    auto* raw_db = db->raw_db();
    while (!stop) {
      std::unique_ptr<rocksdb::Transaction> txn{
        raw_db->BeginTransaction(rocksdb::WriteOptions{})};
      std::string bytes;
      auto s = txn->GetForUpdate(rocksdb::ReadOptions{}, entity_key("hot"),
                                 &bytes);
      if (!s.ok())
        continue;
      auto rec = decode_record("hot", bytes);
      if (!rec)
        continue;
      rec->version += 1;
      rec->value = "outside";
      if (txn->Put(entity_key("hot"), encode_record(*rec)).ok()
          && txn->Commit().ok())
        ++outside_ok;
      // A short breath between its commits, so that the store's commits
      // interleave with them instead of losing every race to this loop.
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  }};
  uint64_t store_ok = 0;
  uint64_t conflicts = 0;
  version_t last = 1;
  auto seen = db->read("hot")->version;
  // At least 300 commits, and on until the outside writer got a turn (the
  // scheduler may starve it for a while on a busy machine).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{20};
  for (int i = 0; i < 300
                  || (outside_ok == 0
                      && std::chrono::steady_clock::now() < deadline);
       ++i) {
    auto r = db->commit({write_op::update("hot", seen, "store")});
    if (r) {
      ++store_ok;
      BOOST_TEST((*r)[0].version == seen + 1);
      BOOST_TEST((*r)[0].version > last);
      last = seen = (*r)[0].version;
      continue;
    }
    auto c = conflict_of(r.error());
    BOOST_REQUIRE_MESSAGE(c, "unexpected error " << to_string(code_of(r.error())));
    BOOST_TEST(c->stored.version > seen);
    seen = c->stored.version;
    ++conflicts;
  }
  stop = true;
  outside.join();
  BOOST_TEST_MESSAGE("store " << store_ok << ", outside " << outside_ok
                              << ", conflicts " << conflicts << ", retries "
                              << db->stats().retries);
  BOOST_TEST(store_ok > 0u);
  BOOST_TEST(outside_ok > 0u);
  BOOST_TEST(raw("hot").version == 1 + store_ok + outside_ok.load());
}

BOOST_AUTO_TEST_SUITE_END()
