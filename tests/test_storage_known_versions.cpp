#include <boost/test/unit_test.hpp>

#include <atomic>
#include <future>
#include <memory>
#include <thread>
#include <ostream>
#include <string>
#include <vector>

#include "entact/conflict.hpp"
#include "entact/errc.hpp"
#include "entact/not_found.hpp"
#include "entact/storage/store.hpp"
#include "support/print.hpp"
#include "support/temp_dir.hpp"

// The committer remembers the versions it read and committed, so a group
// reads only ids it does not know. These tests check that what it takes
// from memory decides exactly as a read would: the same refusals, with the
// stored record (value included) in their payloads, and nothing of it
// survives a restart or outgrows its bound.

using namespace entact;
using namespace entact::storage;

namespace {

struct fixture {
  entact::test::temp_dir dir;
  std::unique_ptr<store> db;

  fixture() {
    open(store_options{}.max_known_versions);
  }

  void open(size_t max_known) {
    db.reset();
    store_options opts;
    opts.path = dir.sub("db");
    opts.max_known_versions = max_known;
    auto s = store::open(opts);
    BOOST_REQUIRE_MESSAGE(s, "open failed");
    db = std::move(*s);
  }

  record commit_one(write_op op) {
    auto r = db->commit({std::move(op)});
    BOOST_REQUIRE_MESSAGE(r, "commit failed");
    BOOST_REQUIRE_EQUAL(r->size(), 1u);
    return r->front();
  }

  /// Ids read from RocksDB by the groups of `ops` (one group: blocking).
  uint64_t reads_of(write_op op) {
    auto before = db->stats().ids_read;
    db->commit({std::move(op)});
    return db->stats().ids_read - before;
  }
};

record live(const std::string& id, version_t v, std::string value) {
  return record{id, v, std::move(value), false};
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(storage_known_versions, fixture)

BOOST_AUTO_TEST_CASE(a_written_id_is_not_read_again) {
  BOOST_TEST(reads_of(write_op::create("a", "v1")) == 1u);
  auto known_before = db->stats().ids_known;
  BOOST_TEST(reads_of(write_op::update("a", 1, "v2")) == 0u);
  BOOST_TEST(reads_of(write_op::update("a", 2, "v3")) == 0u);
  BOOST_TEST(db->stats().ids_known - known_before == 2u);
  auto r = db->read("a");
  BOOST_REQUIRE(r);
  BOOST_TEST((*r == live("a", 3, "v3")));
}

BOOST_AUTO_TEST_CASE(a_stale_update_of_a_known_id_conflicts_with_the_stored_value) {
  commit_one(write_op::create("a", "stored value"));
  commit_one(write_op::update("a", 1, "newer"));
  auto r = db->commit({write_op::update("a", 1, "stale")});
  BOOST_REQUIRE(!r);
  auto c = conflict_of(r.error());
  BOOST_REQUIRE(c);
  BOOST_TEST(c->expected_version == version_t{1});
  BOOST_TEST((c->stored == live("a", 2, "newer")));
  BOOST_TEST(c->attempted_value == "stale");
  // Nothing written; the next write still finds the right version.
  BOOST_TEST((commit_one(write_op::update("a", 2, "v3")) == live("a", 3, "v3")));
}

BOOST_AUTO_TEST_CASE(a_create_of_a_known_existing_id_conflicts) {
  commit_one(write_op::create("a", "here"));
  auto r = db->commit({write_op::create("a", "again")});
  BOOST_REQUIRE(!r);
  auto c = conflict_of(r.error());
  BOOST_REQUIRE(c);
  BOOST_TEST((c->stored == live("a", 1, "here")));
}

BOOST_AUTO_TEST_CASE(an_update_of_a_known_deleted_id_is_not_found_with_its_tombstone) {
  commit_one(write_op::create("a", "x"));
  commit_one(write_op::erase("a", 1));
  auto r = db->commit({write_op::update("a", 2, "y")});
  BOOST_REQUIRE(!r);
  BOOST_TEST(code_of(r.error()) == errc::not_found);
  auto stored = stored_of(r.error());
  BOOST_REQUIRE(stored);
  BOOST_TEST(stored->version == version_t{2});
  BOOST_TEST(stored->deleted);
  // A create after the delete builds on the tombstone's version.
  BOOST_TEST(commit_one(write_op::create("a", "z")).version == version_t{3});
}

BOOST_AUTO_TEST_CASE(a_refused_batch_leaves_what_is_known_unchanged) {
  commit_one(write_op::create("a", "a1"));
  commit_one(write_op::create("b", "b1"));
  // The second op conflicts: neither write happens, and neither is
  // remembered as if it had.
  auto r = db->commit({write_op::update("a", 1, "a2"), write_op::update("b", 9, "b2")});
  BOOST_REQUIRE(!r);
  BOOST_TEST(code_of(r.error()) == errc::conflict);
  BOOST_TEST((commit_one(write_op::update("a", 1, "a2")) == live("a", 2, "a2")));
  BOOST_TEST((commit_one(write_op::update("b", 1, "b2")) == live("b", 2, "b2")));
}

BOOST_AUTO_TEST_CASE(a_restart_knows_nothing_and_reads_again) {
  commit_one(write_op::create("a", "v1"));
  commit_one(write_op::update("a", 1, "v2"));
  open(store_options{}.max_known_versions);
  BOOST_TEST(reads_of(write_op::update("a", 2, "v3")) == 1u);
  auto r = db->commit({write_op::update("a", 2, "stale")});
  BOOST_REQUIRE(!r);
  BOOST_TEST(code_of(r.error()) == errc::conflict);
}

BOOST_AUTO_TEST_CASE(past_its_bound_it_forgets_and_reads_again) {
  open(2);
  commit_one(write_op::create("a", "x"));
  commit_one(write_op::create("b", "x"));
  // The third id finds the bound reached: everything before is forgotten.
  commit_one(write_op::create("c", "x"));
  BOOST_TEST(reads_of(write_op::update("c", 1, "y")) == 0u);
  BOOST_TEST(reads_of(write_op::update("a", 1, "y")) == 1u);
  auto r = db->read("a");
  BOOST_REQUIRE(r);
  BOOST_TEST((*r == live("a", 2, "y")));
}

BOOST_AUTO_TEST_CASE(an_id_read_before_is_not_read_again_by_its_write) {
  commit_one(write_op::create("a", "v1"));
  open(store_options{}.max_known_versions); // knows nothing
  BOOST_REQUIRE(db->read("a"));
  BOOST_REQUIRE(db->read("never")); // absent: version 0
  BOOST_TEST(reads_of(write_op::update("a", 1, "v2")) == 0u);
  BOOST_TEST(reads_of(write_op::create("never", "n1")) == 0u);
  // What was learned from the reads decides as a read would.
  auto r = db->commit({write_op::update("a", 1, "stale")});
  BOOST_REQUIRE(!r);
  auto c = conflict_of(r.error());
  BOOST_REQUIRE(c);
  BOOST_TEST((c->stored == live("a", 2, "v2")));
  auto again = db->commit({write_op::create("never", "n2")});
  BOOST_REQUIRE(!again);
  BOOST_TEST(code_of(again.error()) == errc::conflict);
}

// A read races the writes of its id, and the committer forgets often (a
// bound of 8). A hint taken from a read that began before a commit of its
// id would make the committer believe the older version, and accept a
// write based on it: a lost update. After each write, one based on the
// version before it must be refused.
BOOST_AUTO_TEST_CASE(a_read_racing_writes_of_its_id_never_teaches_a_stale_version) {
  open(8);
  commit_one(write_op::create("a", "0"));
  std::atomic<bool> done{false};
  std::thread reader{[&] {
    while (!done)
      db->read("a");
  }};
  std::thread others{[&] { // fills the bound: the committer forgets
    for (int i = 0; !done; ++i)
      db->commit({write_op::unconditional("o" + std::to_string(i % 64), "x")});
  }};
  int refused = 0;
  int stale_accepted = 0;
  version_t v = 1;
  for (int i = 0; i < 2000; ++i) {
    auto r = db->commit({write_op::update("a", v, std::to_string(i))});
    if (!r) {
      ++refused;
      continue;
    }
    v = r->front().version;
    if (auto stale = db->commit({write_op::update("a", v - 1, "stale")})) {
      ++stale_accepted;
      v = stale->front().version;
    }
  }
  done = true;
  reader.join();
  others.join();
  BOOST_TEST(refused == 0);
  BOOST_TEST(stale_accepted == 0);
  BOOST_TEST(v == 2001u);
}

BOOST_AUTO_TEST_CASE(with_a_bound_of_zero_every_group_reads) {
  open(0);
  commit_one(write_op::create("a", "x"));
  BOOST_TEST(reads_of(write_op::update("a", 1, "y")) == 1u);
  BOOST_TEST(db->stats().ids_known == 0u);
}

BOOST_AUTO_TEST_CASE(ops_of_one_group_on_a_known_id_see_each_other) {
  commit_one(write_op::create("a", "v1"));
  std::vector<write_op> ops{write_op::update("a", 1, "v2"),
                            write_op::update("a", 2, "v3")};
  auto r = db->commit(std::move(ops));
  BOOST_REQUIRE(r);
  BOOST_TEST(((*r)[1] == live("a", 3, "v3")));
  BOOST_TEST(reads_of(write_op::update("a", 3, "v4")) == 0u);
}

// Two writers based on the same known version, in one group: the second
// is decided against the first's write, not against a fresh read of what
// is stored (which still says the old version until the group commits).
BOOST_AUTO_TEST_CASE(the_second_of_two_writes_at_one_known_version_conflicts_in_one_group) {
  commit_one(write_op::create("a", "v1"));
  std::promise<caf::expected<std::vector<record>>> first, second;
  auto fulfil = [](auto& p) {
    return [&p](caf::expected<std::vector<record>> x) {
      p.set_value(std::move(x));
    };
  };
  // Hold the committer inside a group so both batches queue into the next.
  std::promise<void> release;
  auto released = release.get_future().share();
  db->commit_async({write_op::create("hold", "x")},
                   [released](caf::expected<std::vector<record>>) {
                     released.wait();
                   });
  db->commit_async({write_op::update("a", 1, "first")}, fulfil(first));
  db->commit_async({write_op::update("a", 1, "second")}, fulfil(second));
  release.set_value();
  auto r1 = first.get_future().get();
  auto r2 = second.get_future().get();
  BOOST_REQUIRE(r1);
  BOOST_REQUIRE(!r2);
  auto c = conflict_of(r2.error());
  BOOST_REQUIRE(c);
  BOOST_TEST(c->stored.version == version_t{2});
  auto r = db->read("a");
  BOOST_REQUIRE(r);
  BOOST_TEST((*r == live("a", 2, "first")));
}

BOOST_AUTO_TEST_SUITE_END()
