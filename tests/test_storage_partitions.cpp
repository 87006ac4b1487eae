#include <boost/test/unit_test.hpp>

#include <atomic>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <rocksdb/db.h>
#include <rocksdb/utilities/optimistic_transaction_db.h>

#include "entact/conflict.hpp"
#include "entact/errc.hpp"
#include "entact/storage/store.hpp"
#include "prepared_codec.hpp"
#include "support/prepared_store.hpp"
#include "support/print.hpp"
#include "support/temp_dir.hpp"

using namespace entact;
using namespace entact::storage;

namespace {

using outcome = caf::expected<std::vector<record>>;

std::unique_ptr<store> open_parts(const std::string& path, size_t partitions,
                                  bool sync = false) {
  store_options opts;
  opts.path = path;
  opts.sync = sync;
  opts.partitions = partitions;
  auto s = store::open(opts);
  BOOST_REQUIRE_MESSAGE(s, (s ? "" : to_string(s.error())));
  return std::move(*s);
}

/// The first `n` ids "<stem>-<i>" that live in partition `k` of `count`.
std::vector<std::string> ids_in(size_t k, size_t count, size_t n,
                                const std::string& stem = "id") {
  std::vector<std::string> ids;
  for (int i = 0; ids.size() < n; ++i) {
    auto id = stem + "-" + std::to_string(i);
    if (store::partition_of(id, count) == k)
      ids.push_back(id);
  }
  return ids;
}

int64_t value_of(const record& r) {
  return std::stoll(r.value);
}

} // namespace

BOOST_AUTO_TEST_CASE(ids_spread_over_partitions_and_survive_a_reopen) {
  entact::test::temp_dir dir;
  std::map<size_t, int> per_partition;
  {
    auto db = open_parts(dir.sub("db"), 4);
    BOOST_TEST(db->options().partitions == 4u);
    BOOST_TEST(db->stats().partitions == 4u);
    for (int i = 0; i < 200; ++i) {
      auto id = "e" + std::to_string(i);
      ++per_partition[store::partition_of(id, 4)];
      BOOST_REQUIRE(db->commit({write_op::create(id, std::to_string(i))}));
    }
    BOOST_TEST(db->stats().spanning_batches == 0u);
    BOOST_TEST(db->stats().batches_committed == 200u);
  }
  BOOST_TEST(per_partition.size() == 4u); // every partition holds some
  for (const auto& [k, n] : per_partition)
    BOOST_TEST(n > 20);
  auto db = open_parts(dir.sub("db"), 0); // 0: what the directory holds
  BOOST_TEST(db->options().partitions == 4u);
  for (int i = 0; i < 200; ++i) {
    auto r = db->read("e" + std::to_string(i));
    BOOST_REQUIRE(r);
    BOOST_TEST(r->version == 1u);
    BOOST_TEST(r->value == std::to_string(i));
  }
}

BOOST_AUTO_TEST_CASE(the_partition_of_an_id_is_fixed) {
  // Stored data depends on it: a change would lose every entity.
  BOOST_TEST(store::partition_of("a", 2) == store::partition_of("a", 2));
  std::map<size_t, int> seen;
  for (int i = 0; i < 1000; ++i)
    ++seen[store::partition_of("k" + std::to_string(i), 3)];
  BOOST_TEST(seen.size() == 3u);
  for (const auto& [k, n] : seen)
    BOOST_TEST(n > 250);
  BOOST_TEST(store::partition_of("anything", 1) == 0u);
}

BOOST_AUTO_TEST_CASE(a_batch_spanning_partitions_commits_all_or_nothing) {
  entact::test::temp_dir dir;
  auto db = open_parts(dir.sub("db"), 3, true);
  auto a = ids_in(0, 3, 1)[0];
  auto b = ids_in(1, 3, 1)[0];
  auto c = ids_in(2, 3, 1)[0];
  auto made = db->commit({write_op::create(a, "1"), write_op::create(b, "2"),
                          write_op::create(c, "3")});
  BOOST_REQUIRE(made);
  BOOST_REQUIRE(made->size() == 3u);
  BOOST_TEST((*made)[0].id == a); // in op order
  BOOST_TEST((*made)[1].id == b);
  BOOST_TEST((*made)[2].id == c);
  BOOST_TEST(db->stats().spanning_batches == 1u);
  BOOST_TEST(db->stats().batches_committed == 1u); // one batch, in three
  BOOST_TEST(db->stats().writes_committed == 3u);
  // One stale op anywhere refuses the whole batch: nothing of it lands.
  for (size_t stale = 0; stale < 3; ++stale) {
    std::vector<write_op> ops;
    for (size_t i = 0; i < 3; ++i)
      ops.push_back(write_op::update(std::vector<std::string>{a, b, c}[i],
                                     i == stale ? 7 : 1, "new"));
    auto r = db->commit(ops);
    BOOST_REQUIRE(!r);
    BOOST_TEST(code_of(r.error()) == errc::conflict);
    for (const auto& id : {a, b, c}) {
      BOOST_TEST(db->read(id)->version == 1u);
      BOOST_TEST(db->read(id)->value != "new");
    }
  }
  // Then it commits, each id to its next version, and reads back after a
  // reopen.
  auto r = db->commit({write_op::update(a, 1, "x"), write_op::update(b, 1, "y"),
                       write_op::erase(c, 1)});
  BOOST_REQUIRE(r);
  db.reset();
  db = open_parts(dir.sub("db"), 3);
  BOOST_TEST(db->read(a)->value == "x");
  BOOST_TEST(db->read(b)->value == "y");
  BOOST_TEST(db->read(c)->deleted);
  BOOST_TEST(db->read(c)->version == 2u);
}

BOOST_AUTO_TEST_CASE(a_later_op_on_the_same_id_sees_the_earlier_one_across) {
  entact::test::temp_dir dir;
  auto db = open_parts(dir.sub("db"), 2);
  auto a = ids_in(0, 2, 1)[0];
  auto b = ids_in(1, 2, 1)[0];
  auto r = db->commit({write_op::create(b, "1"), write_op::create(a, "1"),
                       write_op::update(b, 1, "2")});
  BOOST_REQUIRE(r);
  BOOST_TEST((*r)[0].version == 1u);
  BOOST_TEST((*r)[2].version == 2u);
  BOOST_TEST(db->read(b)->value == "2");
}

BOOST_AUTO_TEST_CASE(concurrent_transfers_across_partitions_conserve_the_total) {
  constexpr int accounts = 12;
  constexpr int threads = 6;
  constexpr int transfers = 150;
  entact::test::temp_dir dir;
  auto db = open_parts(dir.sub("db"), 3);
  std::vector<std::string> ids;
  for (int i = 0; i < accounts; ++i)
    ids.push_back("acct-" + std::to_string(i));
  for (const auto& id : ids)
    BOOST_REQUIRE(db->commit({write_op::create(id, "100")}));
  std::atomic<int> done{0};
  std::atomic<int> refused_other{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      std::mt19937 rng(static_cast<unsigned>(t));
      for (int n = 0; n < transfers;) {
        auto x = rng() % accounts;
        auto y = rng() % accounts;
        if (x == y)
          continue;
        auto both = db->read_many({ids[x], ids[y]});
        if (!both) {
          ++refused_other;
          return;
        }
        auto from = (*both)[0];
        auto to = (*both)[1];
        auto r = db->commit(
          {write_op::update(from.id, from.version,
                            std::to_string(value_of(from) - 1)),
           write_op::update(to.id, to.version, std::to_string(value_of(to) + 1))});
        if (r) {
          ++n;
          ++done;
          continue;
        }
        // Another transfer got there first, or holds an id right now.
        auto code = code_of(r.error());
        if (code != errc::conflict && code != errc::lock_timeout) {
          BOOST_TEST_MESSAGE("refused: " << to_string(r.error()));
          ++refused_other;
          return;
        }
      }
    });
  for (auto& th : pool)
    th.join();
  BOOST_TEST(refused_other.load() == 0);
  BOOST_TEST(done.load() == threads * transfers);
  auto check = [&](store& s) {
    auto all = s.read_many(ids);
    BOOST_REQUIRE(all);
    int64_t total = 0;
    uint64_t versions = 0;
    for (const auto& r : *all) {
      total += value_of(r);
      versions += r.version - 1;
    }
    BOOST_TEST(total == 100 * accounts);
    BOOST_TEST(versions == uint64_t(2 * threads * transfers));
  };
  check(*db);
  BOOST_TEST(db->stats().spanning_batches > 0u);
  db.reset();
  auto again = open_parts(dir.sub("db"), 0);
  check(*again);
}

BOOST_AUTO_TEST_CASE(close_answers_every_spanning_batch_under_way) {
  entact::test::temp_dir dir;
  auto a = ids_in(0, 2, 50, "a");
  auto b = ids_in(1, 2, 50, "b");
  std::atomic<int> ok{0};
  std::atomic<int> closed{0};
  std::atomic<int> other{0};
  {
    auto db = open_parts(dir.sub("db"), 2, true);
    for (size_t i = 0; i < a.size(); ++i)
      db->commit_async({write_op::create(a[i], "v"), write_op::create(b[i], "v")},
                       [&](outcome r) {
                         if (r)
                           ++ok;
                         else if (code_of(r.error()) == errc::closed)
                           ++closed;
                         else
                           ++other;
                       });
    db->close();
    // Every batch was answered before close returned.
    BOOST_TEST(ok.load() + closed.load() + other.load() == int(a.size()));
  }
  BOOST_TEST(other.load() == 0);
  auto db = open_parts(dir.sub("db"), 2);
  int both = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    auto x = db->read(a[i])->version;
    auto y = db->read(b[i])->version;
    BOOST_TEST(x == y); // all or nothing
    both += x == 1u;
  }
  BOOST_TEST(both == ok.load());
}

BOOST_AUTO_TEST_CASE(an_intent_left_by_a_crash_is_finished_at_open) {
  entact::test::temp_dir dir;
  auto b = ids_in(1, 2, 2, "b");
  {
    auto db = open_parts(dir.sub("db"), 2);
    BOOST_REQUIRE(db->commit({write_op::create(b[0], "old")}));
    BOOST_REQUIRE(db->commit({write_op::create(b[1], "old")}));
    BOOST_REQUIRE(db->commit({write_op::update(b[1], 1, "newer")}));
    BOOST_REQUIRE(db->commit({write_op::update(b[1], 2, "newest")}));
    // What a crash between a span's commit point (its lead's write) and
    // its apply in partition 1 leaves in partition 0: the intent. b[1]
    // moved on since (the span was applied before the crash, then written
    // over): installing it must not take it back.
    detail::span_intent intent{
      7, {detail::span_part{1, {record{b[0], 2, "from intent", false},
                                record{b[1], 2, "from intent", false}}}}};
    auto bytes = detail::encode_intent(intent);
    BOOST_REQUIRE(bytes);
    BOOST_REQUIRE(entact::test::raw_put(*db, detail::intent_key(7), *bytes));
  }
  auto db = open_parts(dir.sub("db"), 2);
  BOOST_TEST(db->read(b[0])->value == "from intent");
  BOOST_TEST(db->read(b[0])->version == 2u);
  BOOST_TEST(db->read(b[1])->value == "newest");
  BOOST_TEST(db->read(b[1])->version == 3u);
  BOOST_TEST(entact::test::raw_value(*db, detail::intent_key(7)).empty());
}

BOOST_AUTO_TEST_CASE(a_damaged_intent_refuses_the_open_and_changes_nothing) {
  entact::test::temp_dir dir;
  auto b = ids_in(1, 2, 1, "b")[0];
  {
    auto db = open_parts(dir.sub("db"), 2);
    BOOST_REQUIRE(db->commit({write_op::create(b, "old")}));
    // Names a partition the store does not have.
    detail::span_intent intent{
      3, {detail::span_part{5, {record{b, 2, "x", false}}}}};
    BOOST_REQUIRE(entact::test::raw_put(*db, detail::intent_key(3),
                                        *detail::encode_intent(intent)));
  }
  store_options opts;
  opts.path = dir.sub("db");
  auto refused = store::open(opts);
  BOOST_REQUIRE(!refused);
  BOOST_TEST(code_of(refused.error()) == errc::storage_failure);
  // Refused again: the refusal changed nothing.
  auto again = store::open(opts);
  BOOST_REQUIRE(!again);
  BOOST_TEST(code_of(again.error()) == errc::storage_failure);
}

BOOST_AUTO_TEST_CASE(scans_merge_the_partitions_in_id_order) {
  entact::test::temp_dir dir;
  auto db = open_parts(dir.sub("db"), 3);
  std::vector<std::string> ids;
  for (int i = 0; i < 150; ++i) {
    auto id = "s" + std::to_string(1000 + i);
    ids.push_back(id);
    BOOST_REQUIRE(db->commit({write_op::create(id, "v")}));
  }
  for (int i = 0; i < 150; i += 10) // every tenth deleted
    BOOST_REQUIRE(db->commit({write_op::erase(ids[i], 1)}));
  for (bool with_deleted : {false, true}) {
    std::vector<std::string> seen;
    scan_request req;
    req.prefix = "s";
    req.limit = 7;
    req.include_deleted = with_deleted;
    for (int pages = 0; pages < 1000; ++pages) {
      auto page = db->scan(req);
      BOOST_REQUIRE(page);
      BOOST_TEST(page->records.size() <= 7u);
      for (const auto& r : page->records)
        seen.push_back(r.id);
      if (!page->next_after)
        break;
      BOOST_REQUIRE(*page->next_after > req.after); // always progresses
      req.after = *page->next_after;
    }
    std::vector<std::string> expected;
    for (int i = 0; i < 150; ++i)
      if (with_deleted || i % 10 != 0)
        expected.push_back(ids[i]);
    BOOST_TEST(seen == expected, boost::test_tools::per_element());
  }
}

BOOST_AUTO_TEST_CASE(read_many_across_partitions_keeps_order_and_bound) {
  entact::test::temp_dir dir;
  store_options opts;
  opts.path = dir.sub("db");
  opts.partitions = 2;
  opts.limits.max_read_bytes = 100;
  auto st = store::open(opts);
  BOOST_REQUIRE(st);
  auto& db = **st;
  auto a = ids_in(0, 2, 3, "a");
  auto b = ids_in(1, 2, 3, "b");
  std::vector<std::string> mixed{b[0], a[0], b[1], a[1], "never-written"};
  for (const auto& id : {a[0], a[1], b[0], b[1]})
    BOOST_REQUIRE(db.commit({write_op::create(id, "value of " + id)}));
  auto r = db.read_many(mixed);
  BOOST_REQUIRE(r);
  BOOST_REQUIRE(r->size() == mixed.size());
  for (size_t i = 0; i < mixed.size(); ++i)
    BOOST_TEST((*r)[i].id == mixed[i]);
  BOOST_TEST((*r)[4].version == no_version);
  // Each partition's share fits; the whole does not.
  BOOST_REQUIRE(db.commit({write_op::update(a[0], 1, std::string(60, 'x'))}));
  BOOST_REQUIRE(db.commit({write_op::update(b[0], 1, std::string(60, 'y'))}));
  auto big = db.read_many({a[0], b[0]});
  BOOST_REQUIRE(!big);
  BOOST_TEST(code_of(big.error()) == errc::too_large);
}

BOOST_AUTO_TEST_CASE(a_prepare_spanning_partitions_holds_commits_and_restarts) {
  entact::test::temp_dir dir;
  auto a = ids_in(0, 2, 1, "a")[0];
  auto b = ids_in(1, 2, 1, "b")[0];
  {
    auto db = open_parts(dir.sub("db"), 2);
    auto t = db->prepare(entact::test::prepare_of(
      "t1", {write_op::create(b, "vb"), write_op::create(a, "va")}));
    BOOST_REQUIRE(t);
    BOOST_REQUIRE(t->writes.size() == 2u);
    BOOST_TEST(t->writes[0].op.id == b); // in the order asked
    BOOST_TEST(t->writes[1].op.id == a);
    // Held in both partitions.
    for (const auto& id : {a, b}) {
      auto r = db->commit({write_op::create(id, "other")});
      BOOST_REQUIRE(!r);
      BOOST_TEST(code_of(r.error()) == errc::lock_timeout);
    }
    // A resent vote is the same vote.
    auto again = db->prepare(entact::test::prepare_of(
      "t1", {write_op::create(b, "vb"), write_op::create(a, "va")}));
    BOOST_REQUIRE(again);
  }
  auto db = open_parts(dir.sub("db"), 2);
  auto listed = db->prepared();
  BOOST_REQUIRE(listed.size() == 1u);
  BOOST_TEST(listed[0].txn == "t1");
  BOOST_TEST(listed[0].writes.size() == 2u);
  auto recs = db->commit_prepared_as_decision("t1");
  BOOST_REQUIRE(recs);
  BOOST_TEST(recs->size() == 2u);
  BOOST_TEST(db->read(a)->value == "va");
  BOOST_TEST(db->read(b)->value == "vb");
  BOOST_TEST(*db->decision_of("t1") == decision::commit);
  BOOST_TEST(db->prepared().empty());
  auto twice = db->commit_prepared("t1");
  BOOST_REQUIRE(!twice);
  BOOST_TEST(code_of(twice.error()) == errc::unknown_transaction);
  // An abort frees both partitions and applies nothing.
  BOOST_REQUIRE(db->prepare(entact::test::prepare_of(
    "t2", {write_op::update(a, 1, "no"), write_op::update(b, 1, "no")})));
  BOOST_REQUIRE(!db->abort_prepared("t2"));
  BOOST_TEST(db->read(a)->value == "va");
  BOOST_REQUIRE(db->commit({write_op::update(a, 1, "yes"),
                            write_op::update(b, 1, "yes")}));
}

BOOST_AUTO_TEST_CASE(a_refused_part_undoes_the_prepare_in_the_others) {
  entact::test::temp_dir dir;
  auto db = open_parts(dir.sub("db"), 2);
  auto a = ids_in(0, 2, 1, "a")[0];
  auto b = ids_in(1, 2, 1, "b")[0];
  BOOST_REQUIRE(db->commit({write_op::create(b, "vb")}));
  auto t = db->prepare(entact::test::prepare_of(
    "t1", {write_op::create(a, "va"), write_op::create(b, "again")}));
  BOOST_REQUIRE(!t);
  BOOST_TEST(code_of(t.error()) == errc::conflict);
  BOOST_TEST(db->prepared().empty());
  BOOST_REQUIRE(db->commit({write_op::create(a, "free")}));
}

BOOST_AUTO_TEST_CASE(decisions_are_listed_across_partitions_in_order) {
  entact::test::temp_dir dir;
  auto db = open_parts(dir.sub("db"), 3);
  std::vector<std::string> txns;
  for (int i = 0; i < 20; ++i) {
    txns.push_back("txn-" + std::to_string(100 + i));
    BOOST_REQUIRE(!db->record_decision(txns.back(), decision::abort, {"n1"}));
  }
  BOOST_TEST(*db->decision_count() == 20u);
  std::vector<std::string> seen;
  std::string after;
  for (int pages = 0; pages < 100; ++pages) {
    auto page = db->decisions(after, 6);
    BOOST_REQUIRE(page);
    for (const auto& d : *page)
      seen.push_back(d.txn);
    if (page->size() < 6)
      break;
    after = page->back().txn;
  }
  BOOST_TEST(seen == txns, boost::test_tools::per_element());
  BOOST_TEST(*db->decision_of("txn-105") == decision::abort);
  BOOST_REQUIRE(!db->forget_decision("txn-105"));
  BOOST_TEST(*db->decision_of("txn-105") == decision::none);
}

BOOST_AUTO_TEST_CASE(writes_beside_and_between_spans_are_ordered_not_refused) {
  // One partition orders concurrent batches of one id; several must too:
  // a batch of one partition waits for a span holding its id, and two
  // spans naming one id at once end up one after the other.
  entact::test::temp_dir dir;
  auto db = open_parts(dir.sub("db"), 2);
  auto a = ids_in(0, 2, 1, "a")[0];
  auto b = ids_in(1, 2, 1, "b")[0];
  constexpr int threads = 4;
  constexpr int rounds = 150;
  std::atomic<int> refused{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      for (int n = 0; n < rounds; ++n) {
        // Even threads write both ids, odd ones b alone.
        std::vector<write_op> ops{write_op::unconditional(b, "b")};
        if (t % 2 == 0)
          ops.insert(ops.begin(), write_op::unconditional(a, "a"));
        if (auto r = db->commit(ops); !r) {
          BOOST_TEST_MESSAGE("refused: " << to_string(r.error()));
          ++refused;
        }
      }
    });
  for (auto& th : pool)
    th.join();
  BOOST_TEST(refused.load() == 0);
  BOOST_TEST(db->read(a)->version == version_t(threads / 2 * rounds));
  BOOST_TEST(db->read(b)->version == version_t(threads * rounds));
}
