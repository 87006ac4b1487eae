#include <boost/test/unit_test.hpp>

#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <rocksdb/utilities/optimistic_transaction_db.h>

#include "entact/conflict.hpp"
#include "entact/errc.hpp"
#include "entact/storage/record_codec.hpp"
#include "entact/storage/store.hpp"
#include "support/temp_dir.hpp"
#include "support/print.hpp"


using namespace entact;
using namespace entact::storage;

namespace {

using batch = std::vector<write_op>;

/// A store in a fresh directory, reopenable to test recovery.
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
    opts.limits.max_value_bytes = 64;
    auto s = store::open(opts);
    BOOST_REQUIRE_MESSAGE(s, "open failed");
    db = std::move(*s);
  }

  record read(const std::string& id) {
    auto r = db->read(id);
    BOOST_REQUIRE(r);
    return *r;
  }

  errc code(const batch& ops) {
    auto r = db->commit(ops);
    return r ? errc::none : code_of(r.error());
  }

  /// Writes `r` straight into RocksDB, behind the store's back.
  void put_raw(const record& r) {
    auto s = db->raw_db()->Put(rocksdb::WriteOptions{}, entity_key(r.id),
                               encode_record(r));
    BOOST_REQUIRE(s.ok());
  }
};

record live(const std::string& id, version_t v, std::string value) {
  return record{id, v, std::move(value), false};
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(commit_semantics, fixture)

BOOST_AUTO_TEST_CASE(absent_entity_reads_as_version_zero) {
  auto r = read("nobody");
  BOOST_TEST(r.id == "nobody");
  BOOST_TEST(r.version == no_version);
  BOOST_TEST(!r.exists());
}

BOOST_AUTO_TEST_CASE(create_update_erase_recreate) {
  auto c = db->commit({write_op::create("a", "one")});
  BOOST_REQUIRE(c);
  BOOST_TEST(((*c)[0] == live("a", 1, "one")));
  BOOST_TEST((read("a") == live("a", 1, "one")));

  auto u = db->commit({write_op::update("a", 1, "two")});
  BOOST_REQUIRE(u);
  BOOST_TEST((read("a") == live("a", 2, "two")));

  auto e = db->commit({write_op::erase("a", 2)});
  BOOST_REQUIRE(e);
  BOOST_TEST(((*e)[0] == record{"a", 3, {}, true}));
  BOOST_TEST((read("a") == record{"a", 3, {}, true}));

  auto again = db->commit({write_op::create("a", "three")});
  BOOST_REQUIRE(again);
  BOOST_TEST((read("a") == live("a", 4, "three")));
}

BOOST_AUTO_TEST_CASE(unconditional_write_bumps_the_version) {
  BOOST_REQUIRE(db->commit({write_op::unconditional("w", "x")}));
  BOOST_REQUIRE(db->commit({write_op::unconditional("w", "y")}));
  BOOST_TEST((read("w") == live("w", 2, "y")));
}

BOOST_AUTO_TEST_CASE(stale_update_is_a_conflict_with_payload) {
  BOOST_REQUIRE(db->commit({write_op::create("g", "Gadget")}));
  BOOST_REQUIRE(db->commit({write_op::update("g", 1, "Super Gadget")}));
  auto r = db->commit({write_op::update("g", 1, "Amazing Gadget")});
  BOOST_REQUIRE(!r);
  auto c = conflict_of(r.error());
  BOOST_REQUIRE(c);
  BOOST_TEST(c->id == "g");
  BOOST_TEST(c->expected_version == 1u);
  BOOST_TEST((c->stored == live("g", 2, "Super Gadget")));
  BOOST_TEST(c->attempted_kind == op_kind::update_if_version);
  BOOST_TEST(c->attempted_value == "Amazing Gadget");
  BOOST_TEST((read("g") == live("g", 2, "Super Gadget")));
}

BOOST_AUTO_TEST_CASE(create_on_existing_is_a_conflict) {
  BOOST_REQUIRE(db->commit({write_op::create("c", "first")}));
  auto r = db->commit({write_op::create("c", "second")});
  BOOST_REQUIRE(!r);
  auto c = conflict_of(r.error());
  BOOST_REQUIRE(c);
  BOOST_TEST(c->attempted_kind == op_kind::create_if_absent);
  BOOST_TEST(c->stored.value == "first");
}

BOOST_AUTO_TEST_CASE(not_found_for_absent_and_deleted) {
  BOOST_TEST(code({write_op::update("n", 0, "x")}) == errc::not_found);
  BOOST_REQUIRE(db->commit({write_op::create("n", "x")}));
  BOOST_REQUIRE(db->commit({write_op::erase("n", 1)}));
  BOOST_TEST(code({write_op::erase("n", 2)}) == errc::not_found);
  BOOST_TEST(code({write_op::update("n", 1, "y")}) == errc::conflict);
  BOOST_TEST((read("n") == record{"n", 2, {}, true}));
}

BOOST_AUTO_TEST_CASE(ops_of_one_batch_see_each_other) {
  auto r = db->commit({write_op::create("s", "1"), write_op::update("s", 1, "2"),
                       write_op::erase("s", 2), write_op::create("s", "4")});
  BOOST_REQUIRE(r);
  BOOST_REQUIRE(r->size() == 4u);
  for (size_t i = 0; i < 4; ++i)
    BOOST_TEST((*r)[i].version == i + 1);
  BOOST_TEST((*r)[2].deleted);
  BOOST_TEST((read("s") == live("s", 4, "4")));
}

BOOST_AUTO_TEST_CASE(batch_is_all_or_nothing_when_its_second_op_conflicts) {
  BOOST_REQUIRE(db->commit({write_op::create("x", "x1")}));
  BOOST_REQUIRE(db->commit({write_op::create("y", "y1")}));
  BOOST_REQUIRE(db->commit({write_op::update("y", 1, "y2")}));
  auto r = db->commit({write_op::update("x", 1, "x2"),
                       write_op::update("y", 1, "stale"),
                       write_op::create("z", "z1")});
  BOOST_REQUIRE(!r);
  auto c = conflict_of(r.error());
  BOOST_REQUIRE(c);
  BOOST_TEST(c->id == "y");
  BOOST_TEST((read("x") == live("x", 1, "x1")));
  BOOST_TEST((read("y") == live("y", 2, "y2")));
  BOOST_TEST(read("z").version == no_version);
  BOOST_TEST(db->stats().batches_refused == 1u);
}

BOOST_AUTO_TEST_CASE(refused_batch_does_not_disturb_its_neighbours) {
  // Three batches queued back to back usually share a group: the refused
  // middle one must leave the others' writes intact.
  BOOST_REQUIRE(db->commit({write_op::create("k", "v1")}));
  std::mutex mtx;
  std::vector<std::optional<caf::expected<std::vector<record>>>> results(3);
  auto keep = [&](size_t i) {
    return [&, i](caf::expected<std::vector<record>> x) {
      std::lock_guard<std::mutex> guard{mtx};
      results[i] = std::move(x);
    };
  };
  db->commit_async({write_op::update("k", 1, "v2")}, keep(0));
  db->commit_async({write_op::create("m", "m1"), write_op::update("k", 1, "no")},
                   keep(1));
  db->commit_async({write_op::update("k", 2, "v3")}, keep(2));
  BOOST_REQUIRE(db->commit({write_op::create("fence", "f")}));
  std::lock_guard<std::mutex> guard{mtx};
  BOOST_REQUIRE(results[0] && results[1] && results[2]);
  BOOST_TEST(static_cast<bool>(*results[0]));
  BOOST_REQUIRE(!*results[1]);
  BOOST_TEST(code_of(results[1]->error()) == errc::conflict);
  BOOST_TEST(static_cast<bool>(*results[2]));
  BOOST_TEST((read("k") == live("k", 3, "v3")));
  BOOST_TEST(read("m").version == no_version);
}

BOOST_AUTO_TEST_CASE(batches_commit_in_queue_order) {
  std::mutex mtx;
  std::vector<version_t> seen;
  for (int i = 0; i < 200; ++i)
    db->commit_async({write_op::unconditional("q", std::to_string(i))},
                     [&](caf::expected<std::vector<record>> x) {
                       std::lock_guard<std::mutex> guard{mtx};
                       seen.push_back(x ? (*x)[0].version : 0);
                     });
  BOOST_REQUIRE(db->commit({write_op::create("fence", "f")}));
  std::lock_guard<std::mutex> guard{mtx};
  BOOST_REQUIRE(seen.size() == 200u);
  for (size_t i = 0; i < seen.size(); ++i)
    BOOST_TEST(seen[i] == i + 1);
  BOOST_TEST((read("q") == live("q", 200, "199")));
}

BOOST_AUTO_TEST_CASE(bad_input_is_refused_and_changes_nothing) {
  BOOST_REQUIRE(db->commit({write_op::create("ok", "v")}));
  auto erase_with_value = write_op::erase("ok", 1);
  erase_with_value.value = "x";
  BOOST_TEST(code({}) == errc::invalid_argument);
  BOOST_TEST(code({write_op::update("ok", 1, "v2"), write_op::create("", "x")})
             == errc::invalid_argument);
  BOOST_TEST(code({write_op::update("ok", 1, "v2"),
                   write_op::create("bad id", "x")})
             == errc::invalid_argument);
  BOOST_TEST(code({write_op::update("ok", 1, "v2"),
                   write_op::create(std::string(300, 'a'), "x")})
             == errc::too_large);
  BOOST_TEST(code({write_op::update("ok", 1, std::string(65, 'v'))})
             == errc::too_large);
  BOOST_TEST(code({write_op::update("ok", 1, "v2"), erase_with_value})
             == errc::invalid_argument);
  BOOST_TEST((read("ok") == live("ok", 1, "v")));
  BOOST_TEST(db->stats().batches_refused == 6u);
  BOOST_TEST(db->stats().batches_committed == 1u);
  BOOST_TEST(code_of(db->read("bad id").error()) == errc::invalid_argument);
  BOOST_TEST(code_of(db->read("").error()) == errc::invalid_argument);
}

BOOST_AUTO_TEST_CASE(invalid_batch_is_answered_on_the_callers_thread) {
  bool called = false;
  db->commit_async({}, [&](caf::expected<std::vector<record>> x) {
    called = true;
    BOOST_TEST(code_of(x.error()) == errc::invalid_argument);
  });
  BOOST_TEST(called);
}

BOOST_AUTO_TEST_CASE(version_overflow_through_a_stored_max_version) {
  put_raw(live("top", max_version, "at the top"));
  BOOST_TEST(code({write_op::update("top", max_version, "x")})
             == errc::version_overflow);
  BOOST_TEST(code({write_op::unconditional("top", "x")})
             == errc::version_overflow);
  BOOST_TEST((read("top") == live("top", max_version, "at the top")));
  put_raw(record{"gone", max_version, {}, true});
  BOOST_TEST(code({write_op::create("gone", "x")}) == errc::version_overflow);
}

BOOST_AUTO_TEST_CASE(corrupt_stored_record_is_a_storage_failure) {
  auto s = db->raw_db()->Put(rocksdb::WriteOptions{}, entity_key("bad"), "xx");
  BOOST_REQUIRE(s.ok());
  BOOST_TEST(code_of(db->read("bad").error()) == errc::storage_failure);
  BOOST_TEST(code({write_op::unconditional("bad", "v")})
             == errc::storage_failure);
}

BOOST_AUTO_TEST_CASE(read_many_keeps_order_and_conventions) {
  BOOST_REQUIRE(db->commit({write_op::create("r1", "a"),
                            write_op::create("r2", "b")}));
  BOOST_REQUIRE(db->commit({write_op::erase("r2", 1)}));
  auto rs = db->read_many({"r2", "absent", "r1"});
  BOOST_REQUIRE(rs);
  BOOST_REQUIRE(rs->size() == 3u);
  BOOST_TEST(((*rs)[0] == record{"r2", 2, {}, true}));
  BOOST_TEST(((*rs)[1] == record{"absent", no_version, {}, false}));
  BOOST_TEST(((*rs)[2] == live("r1", 1, "a")));
  BOOST_TEST(code_of(db->read_many({"r1", "no good"}).error())
             == errc::invalid_argument);
  auto none = db->read_many({});
  BOOST_REQUIRE(none);
  BOOST_TEST(none->empty());
}

BOOST_AUTO_TEST_CASE(restart_recovers_everything_including_tombstones) {
  BOOST_REQUIRE(db->commit({write_op::create("p", "1"),
                            write_op::create("t", "x")}));
  BOOST_REQUIRE(db->commit({write_op::update("p", 1, "2")}));
  BOOST_REQUIRE(db->commit({write_op::erase("t", 1)}));
  std::vector<write_op> many;
  for (int i = 0; i < 100; ++i)
    many.push_back(write_op::create("bulk-" + std::to_string(i), "v"));
  BOOST_REQUIRE(db->commit(many));
  reopen();
  BOOST_TEST((read("p") == live("p", 2, "2")));
  BOOST_TEST((read("t") == record{"t", 2, {}, true}));
  for (int i = 0; i < 100; ++i)
    BOOST_TEST(read("bulk-" + std::to_string(i)).version == 1u);
  // The tombstone still guards against a stale writer after the restart,
  // and a create continues the sequence.
  BOOST_TEST(code({write_op::update("t", 1, "zombie")}) == errc::conflict);
  auto again = db->commit({write_op::create("t", "back")});
  BOOST_REQUIRE(again);
  BOOST_TEST((*again)[0].version == 3u);
}

BOOST_AUTO_TEST_SUITE_END()
