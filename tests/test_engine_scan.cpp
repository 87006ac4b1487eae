// database::scan on an embedded engine: pages of records by prefix, after a
// cursor, in id order, bounded by a record count and by max_read_bytes,
// each page from one snapshot; tombstones only when asked; metadata never.

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <rocksdb/utilities/optimistic_transaction_db.h>

#include "entact/storage/store.hpp"
#include "support/engine_fixture.hpp"
#include "support/scan_pages.hpp"
#include "support/wait_until.hpp"

using namespace entact;
using entact::test::code;
using entact::test::cursor;
using entact::test::ids_of;
using entact::test::scan_of;

namespace {

/// Every page of `req` from its `after` on, following `next_after`; fails
/// the test if a page is not in strictly increasing id order.
std::vector<record> all_pages(database& db, scan_request req,
                              size_t* pages = nullptr) {
  std::vector<record> all;
  for (size_t n = 1;; ++n) {
    auto page = db.scan(req);
    BOOST_REQUIRE_MESSAGE(page,
                          (page ? std::string{} : to_string(page.error())));
    auto ids = ids_of(*page);
    BOOST_TEST(std::is_sorted(ids.begin(), ids.end()));
    BOOST_TEST(bool(std::adjacent_find(ids.begin(), ids.end()) == ids.end()));
    all.insert(all.end(), page->records.begin(), page->records.end());
    if (!page->next_after) {
      if (pages)
        *pages = n;
      return all;
    }
    BOOST_REQUIRE(*page->next_after > req.after); // progress
    req.after = *page->next_after;
  }
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(engine_scan, entact::test::engine_fixture)

BOOST_AUTO_TEST_CASE(prefix_after_and_limit_select_a_page_in_id_order) {
  for (int i = 1; i <= 20; ++i)
    BOOST_REQUIRE(db().create("acct/" + std::to_string(i), std::to_string(i)));
  for (auto id : {"acct", "acct0", "acc", "other/1", "b"})
    BOOST_REQUIRE(db().create(id, "x"));
  // Bytewise order: acct/1, acct/10..acct/19, acct/2, acct/20, acct/3, ...
  std::vector<entity_id> expected;
  for (int i = 1; i <= 20; ++i)
    expected.push_back("acct/" + std::to_string(i));
  std::sort(expected.begin(), expected.end());
  auto page = db().scan(scan_of("acct/"));
  BOOST_REQUIRE(page);
  BOOST_TEST(ids_of(*page) == expected);
  BOOST_TEST(!page->next_after);
  BOOST_TEST(page->records[0].value == "1");
  BOOST_TEST(page->records[0].version == 1u);
  // Strictly after the cursor, which need not exist itself.
  page = db().scan(scan_of("acct/", "acct/17"));
  BOOST_REQUIRE(page);
  std::vector<entity_id> after17{"acct/18", "acct/19", "acct/2",
                                 "acct/20", "acct/3",  "acct/4",
                                 "acct/5",  "acct/6",  "acct/7",
                                 "acct/8",  "acct/9"};
  BOOST_TEST(ids_of(*page) == after17);
  page = db().scan(scan_of("acct/", "acct/17x", 2));
  BOOST_REQUIRE(page);
  BOOST_TEST(ids_of(*page) == (std::vector<entity_id>{"acct/18", "acct/19"}));
  BOOST_TEST(cursor(*page) == "acct/19");
  // A limit cuts the page; the cursor is its last id.
  page = db().scan(scan_of("acct/", {}, 5));
  BOOST_REQUIRE(page);
  BOOST_TEST(ids_of(*page)
             == (std::vector<entity_id>{expected.begin(),
                                        expected.begin() + 5}));
  BOOST_TEST(cursor(*page) == expected[4]);
  // A cursor before the prefix starts at the prefix; one past it is empty.
  page = db().scan(scan_of("acct/", "a", 1));
  BOOST_REQUIRE(page);
  BOOST_TEST(ids_of(*page) == std::vector<entity_id>{"acct/1"});
  page = db().scan(scan_of("acct/", "acct0"));
  BOOST_REQUIRE(page);
  BOOST_TEST(page->records.empty());
  BOOST_TEST(!page->next_after);
  // Exactly the limit left: no next page is promised.
  page = db().scan(scan_of("acct/", "acct/8", 1));
  BOOST_REQUIRE(page);
  BOOST_TEST(ids_of(*page) == std::vector<entity_id>{"acct/9"});
  BOOST_TEST(!page->next_after);
  // No prefix: everything, in order.
  page = db().scan(scan_of(""));
  BOOST_REQUIRE(page);
  BOOST_TEST(page->records.size() == 25u);
  BOOST_TEST(page->records.front().id == "acc");
  BOOST_TEST(page->records.back().id == "other/1");
  // A prefix nothing has.
  page = db().scan(scan_of("zz"));
  BOOST_REQUIRE(page);
  BOOST_TEST(page->records.empty());
}

BOOST_AUTO_TEST_CASE(pages_cover_every_record_exactly_once) {
  std::set<entity_id> expected;
  for (int i = 0; i < 250; ++i) {
    auto id = "item/" + std::to_string(i * 7919 % 1000);
    BOOST_REQUIRE(db().create(id, "v"));
    expected.insert(id);
  }
  for (uint32_t limit : {1u, 7u, 100u, 250u, 1000u}) {
    size_t pages = 0;
    auto req = scan_of("item/", {}, limit);
    auto all = all_pages(db(), req, &pages);
    std::vector<entity_id> seen;
    for (auto& r : all)
      seen.push_back(r.id);
    BOOST_TEST(seen
               == (std::vector<entity_id>{expected.begin(), expected.end()}));
    // A full page promises more only if another id follows it.
    BOOST_TEST(pages == (250 + limit - 1) / limit);
  }
}

BOOST_AUTO_TEST_CASE(tombstones_are_skipped_unless_asked_for) {
  for (auto id : {"t/a", "t/b", "t/c", "t/d"})
    BOOST_REQUIRE(db().create(id, "x"));
  BOOST_REQUIRE(db().erase("t/b", 1));
  BOOST_REQUIRE(db().erase("t/d", 1));
  auto page = db().scan(scan_of("t/"));
  BOOST_REQUIRE(page);
  BOOST_TEST(ids_of(*page) == (std::vector<entity_id>{"t/a", "t/c"}));
  auto req = scan_of("t/");
  req.include_deleted = true;
  page = db().scan(req);
  BOOST_REQUIRE(page);
  BOOST_TEST(ids_of(*page)
             == (std::vector<entity_id>{"t/a", "t/b", "t/c", "t/d"}));
  BOOST_TEST(page->records[1].deleted);
  BOOST_TEST(page->records[1].version == 2u);
  BOOST_TEST(page->records[1].value.empty());
  BOOST_TEST(!page->records[2].deleted);
  // A tombstone right after a full page: more "may" follow, and the next
  // page is then empty.
  page = db().scan(scan_of("t/", "t/a", 1));
  BOOST_REQUIRE(page);
  BOOST_TEST(ids_of(*page) == std::vector<entity_id>{"t/c"});
  BOOST_REQUIRE(page->next_after);
  page = db().scan(scan_of("t/", *page->next_after, 1));
  BOOST_REQUIRE(page);
  BOOST_TEST(page->records.empty());
  BOOST_TEST(!page->next_after);
  // A create after a delete continues the sequence and shows again.
  BOOST_REQUIRE(db().create("t/b", "again"));
  page = db().scan(scan_of("t/"));
  BOOST_REQUIRE(page);
  BOOST_TEST(ids_of(*page) == (std::vector<entity_id>{"t/a", "t/b", "t/c"}));
  BOOST_TEST(page->records[1].version == 3u);
}

BOOST_AUTO_TEST_CASE(bad_requests_are_refused) {
  BOOST_REQUIRE(db().create("k", "v"));
  auto limit0 = scan_of("", {}, 0);
  BOOST_TEST(code(db().scan(limit0)) == errc::invalid_argument);
  // Over the bound: a page of at most the bound, not a refusal.
  BOOST_CHECK(db().scan(scan_of("", {}, 1001)));
  BOOST_CHECK(db().scan(scan_of("", {}, 1000)));
  BOOST_TEST(code(db().scan(scan_of("a b"))) == errc::invalid_argument);
  BOOST_TEST(code(db().scan(scan_of(std::string{"a\0b", 3})))
             == errc::invalid_argument);
  BOOST_TEST(code(db().scan(scan_of(std::string(257, 'a'))))
             == errc::too_large);
  BOOST_CHECK(db().scan(scan_of(std::string(256, 'a'))));
  BOOST_TEST(code(db().scan(scan_of("", "bad id")))
             == errc::invalid_argument);
  BOOST_TEST(code(db().scan(scan_of("", std::string(257, 'a'))))
             == errc::too_large);
  // The engine's own bound.
  opts.limits.max_scan_records = 10;
  reopen();
  for (int i = 0; i < 12; ++i)
    BOOST_REQUIRE(db().create("n" + std::to_string(10 + i), "v"));
  auto page = db().scan(scan_of("", {}, 11)); // cut at the bound
  BOOST_REQUIRE(page);
  BOOST_TEST(page->records.size() == 10u);
  BOOST_TEST(cursor(*page) == "n18"); // "k", then n10..n18
  page = db().scan(scan_of("", {}, 10));
  BOOST_REQUIRE(page);
  BOOST_TEST(page->records.size() == 10u);
  opts.limits.max_scan_records = 0;
  BOOST_TEST(code(engine::open(opts)) == errc::invalid_argument);
  opts.limits.max_scan_records = 1000;
  // A closed engine.
  db().close();
  BOOST_TEST(code(db().scan(scan_of(""))) == errc::closed);
}

BOOST_AUTO_TEST_CASE(the_byte_bound_cuts_a_page_and_the_next_goes_on) {
  opts.limits.max_read_bytes = 1000;
  opts.limits.max_value_bytes = 500; // one record at the limits must fit
  reopen();
  // Ten records of 2 + 100 bytes: nine fit in 1000 bytes, ten do not.
  for (int i = 0; i < 10; ++i)
    BOOST_REQUIRE(db().create("k" + std::to_string(i), std::string(100, 'v')));
  auto page = db().scan(scan_of("k"));
  BOOST_REQUIRE(page);
  BOOST_TEST(page->records.size() == 9u);
  BOOST_TEST(cursor(*page) == "k8");
  page = db().scan(scan_of("k", "k8"));
  BOOST_REQUIRE(page);
  BOOST_TEST(ids_of(*page) == std::vector<entity_id>{"k9"});
  BOOST_TEST(!page->next_after);
  size_t pages = 0;
  BOOST_TEST(all_pages(db(), scan_of("k"), &pages).size() == 10u);
  BOOST_TEST(pages == 2u);
}

BOOST_AUTO_TEST_CASE(a_record_over_the_byte_bound_comes_alone) {
  // Written under larger limits, then read under smaller ones: a record
  // that alone is over max_read_bytes still comes, alone in its page, so
  // the scan makes progress past it.
  BOOST_REQUIRE(db().create("a", "small"));
  BOOST_REQUIRE(db().create("big", std::string(600 * 1000, 'b')));
  BOOST_REQUIRE(db().create("c", "small"));
  opts.limits.max_value_bytes = 100 * 1000;
  opts.limits.max_read_bytes = 200 * 1000;
  reopen();
  auto page = db().scan(scan_of(""));
  BOOST_REQUIRE(page);
  BOOST_TEST(ids_of(*page) == std::vector<entity_id>{"a"});
  BOOST_TEST(cursor(*page) == "a");
  page = db().scan(scan_of("", "a"));
  BOOST_REQUIRE(page);
  BOOST_TEST(ids_of(*page) == std::vector<entity_id>{"big"});
  BOOST_TEST(page->records[0].value.size() == 600u * 1000);
  BOOST_TEST(cursor(*page) == "big");
  page = db().scan(scan_of("", "big"));
  BOOST_REQUIRE(page);
  BOOST_TEST(ids_of(*page) == std::vector<entity_id>{"c"});
  BOOST_TEST(!page->next_after);
}

BOOST_AUTO_TEST_CASE(metadata_and_foreign_keys_never_appear) {
  // Straight on the store: keys around the entity range, written behind
  // its back, are not entities and are never listed.
  eng.reset();
  storage::store_options so;
  so.path = dir.sub("raw");
  so.sync = false;
  auto st = storage::store::open(so);
  BOOST_REQUIRE(st);
  auto& s = **st;
  auto empty = s.scan(scan_of(""));
  BOOST_REQUIRE(empty);
  BOOST_TEST(empty->records.empty()); // the store holds "mformat" already
  BOOST_TEST(!empty->next_after);
  // An entity named like the metadata key is an entity ('e' + id).
  BOOST_REQUIRE(s.commit({write_op::create("mformat", "mine")}));
  BOOST_REQUIRE(s.commit({write_op::create("~", "last")}));
  BOOST_REQUIRE(s.commit({write_op::create("0", "first")}));
  auto* raw = s.raw_db();
  for (auto key : {"d", "dzzz", "f", "m", "mother", "zz", "\xff"})
    BOOST_REQUIRE(raw->Put(rocksdb::WriteOptions{}, key, "not an entity").ok());
  auto all = s.scan(scan_of(""));
  BOOST_REQUIRE(all);
  BOOST_TEST(ids_of(*all)
             == (std::vector<entity_id>{"0", "mformat", "~"}));
  BOOST_TEST(all->records[1].value == "mine");
  auto last = s.scan(scan_of("~"));
  BOOST_REQUIRE(last);
  BOOST_TEST(ids_of(*last) == std::vector<entity_id>{"~"});
  auto after_last = s.scan(scan_of("", "~"));
  BOOST_REQUIRE(after_last);
  BOOST_TEST(after_last->records.empty());
}

BOOST_AUTO_TEST_CASE(a_scan_racing_writers_never_goes_back_in_time) {
  // Writers update their own ids and create new ones; before each page the
  // scanner notes what was acknowledged, and the page must show each id
  // at most once and never older than that. Ids that existed before a pass
  // and were never deleted appear exactly once across its pages.
  constexpr int writers = 3;
  constexpr int ids_per_writer = 40;
  std::vector<entity_id> ids;
  for (int w = 0; w < writers; ++w)
    for (int i = 0; i < ids_per_writer; ++i) {
      ids.push_back("race/" + std::to_string(w) + "/" + std::to_string(i));
      BOOST_REQUIRE(db().create(ids.back(), "0"));
    }
  std::vector<std::atomic<version_t>> acked(ids.size());
  for (auto& a : acked)
    a = 1;
  std::atomic<bool> stop{false};
  std::atomic<size_t> writes{0};
  std::atomic<bool> write_failed{false};
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w)
    threads.emplace_back([&, w] {
      for (int n = 0; !stop; ++n) {
        auto i = static_cast<size_t>(w * ids_per_writer
                                     + n % ids_per_writer);
        auto rec = db().write_unconditionally(ids[i], std::to_string(n));
        if (!rec) {
          write_failed = true;
          return;
        }
        auto prev = acked[i].load();
        while (prev < rec->version
               && !acked[i].compare_exchange_weak(prev, rec->version)) {
        }
        // Fresh ids appear between pages: seen or not, never twice.
        if (n % 5 == 0)
          (void) db().create("race/" + std::to_string(w) + "/new"
                               + std::to_string(n),
                             "x");
        ++writes;
      }
    });
  size_t checked_pages = 0;
  for (int pass = 0; pass < 6; ++pass) {
    auto start = writes.load();
    std::map<entity_id, int> seen;
    scan_request req = scan_of("race/", {}, 13);
    for (;;) {
      std::map<entity_id, version_t> before;
      for (size_t i = 0; i < ids.size(); ++i)
        before[ids[i]] = acked[i].load();
      auto page = db().scan(req);
      BOOST_REQUIRE(page);
      ++checked_pages;
      auto page_ids = ids_of(*page);
      BOOST_TEST(std::is_sorted(page_ids.begin(), page_ids.end()));
      BOOST_TEST(bool(std::adjacent_find(page_ids.begin(), page_ids.end())
                      == page_ids.end()));
      for (const auto& r : page->records) {
        ++seen[r.id];
        auto b = before.find(r.id);
        if (b != before.end())
          BOOST_TEST(r.version >= b->second, r.id << " v" << r.version
                                                  << " older than acked v"
                                                  << b->second);
      }
      if (!page->next_after)
        break;
      req.after = *page->next_after;
    }
    for (const auto& id : ids)
      BOOST_TEST(seen[id] == 1, id << " seen " << seen[id] << " times");
    for (const auto& [id, n] : seen)
      BOOST_TEST(n == 1, id << " seen " << n << " times");
    // Let the writers move on before the next pass (bounded wait).
    entact::test::wait_until([&] { return writes.load() > start + 50; },
                             std::chrono::seconds{10});
  }
  stop = true;
  for (auto& t : threads)
    t.join();
  BOOST_TEST(!write_failed);
  BOOST_TEST(writes.load() > 0u);
  BOOST_TEST(checked_pages >= 6u * 10);
}

BOOST_AUTO_TEST_SUITE_END()
