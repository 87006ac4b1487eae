// `modify`: named, registered read-modify-writes run inside the entity's
// actor. Real engines on real RocksDB directories, sync on where it
// matters; every wait is bounded and waits for a condition.

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <caf/sec.hpp>

#include "entact/resolve.hpp"
#include "support/engine_fixture.hpp"
#include "support/wait_until.hpp"

using namespace entact;
using namespace std::chrono_literals;

namespace {

struct durable_fixture : test::engine_fixture {
  durable_fixture() {
    opts.sync = true;
    reopen();
  }

  uint64_t modify_writes() {
    auto st = db().stats();
    BOOST_REQUIRE(st);
    return st->modify_writes;
  }
};

errc code(const caf::expected<record>& r) {
  return r ? errc::none : code_of(r.error());
}

/// Collects the outcomes of asynchronous calls.
struct outcomes {
  std::mutex mtx;
  std::vector<caf::expected<record>> all;

  record_callback collect() {
    return [this](caf::expected<record> r) {
      std::lock_guard<std::mutex> guard{mtx};
      all.push_back(std::move(r));
    };
  }

  size_t count() {
    std::lock_guard<std::mutex> guard{mtx};
    return all.size();
  }

  size_t count(errc c) {
    std::lock_guard<std::mutex> guard{mtx};
    return std::count_if(all.begin(), all.end(),
                         [c](const auto& r) { return code(r) == c; });
  }
};

/// Runs `queue_up` inside a transaction holding the lock on `id`, so every
/// modification it sends queues at the entity; returns once the entity
/// refused one with `overloaded`, i.e. its queue is full (exactly
/// `max_queue_per_entity` waiting): arrival, observed without timing.
/// The transaction then writes `value` and releases.
void behind_a_lock(database& db, const entity_id& id, const std::string& value,
                   outcomes& refusals,
                   const std::function<void(database&)>& queue_up) {
  txn_options opts;
  opts.lease = 60s; // longer than the wait below, however busy the machine
  auto res = db.transact(
    {id},
    [&](transaction& t) {
      queue_up(db);
      BOOST_REQUIRE(test::wait_until(
        [&] { return refusals.count(errc::overloaded) > 0; }, 30s));
      return t.put(id, value);
    },
    opts);
  if (!res)
    BOOST_FAIL("transact failed: " << to_string(res.error()));
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(engine_modify, durable_fixture)

// N threads x M `add 1` on one entity: the total is exact, every
// acknowledgement carries its own version, nothing conflicts, and the
// modifications took fewer store writes than there were of them.
BOOST_AUTO_TEST_CASE(concurrent_adds_are_exact_with_distinct_versions) {
  constexpr int threads = 8;
  constexpr int adds = 100;
  std::mutex mtx;
  std::set<version_t> versions;
  std::atomic<int> failures{0};
  std::vector<std::thread> users;
  for (int t = 0; t < threads; ++t)
    users.emplace_back([&] {
      for (int i = 0; i < adds; ++i) {
        auto r = db().modify("hot", "add", "1");
        if (!r) {
          ++failures;
          continue;
        }
        std::lock_guard<std::mutex> guard{mtx};
        versions.insert(r->version);
      }
    });
  // And one thread with many in flight at once, one thousand of them.
  outcomes async;
  for (int i = 0; i < 1000; ++i)
    db().modify_async({"hot", "add", "1"}, async.collect());
  for (auto& u : users)
    u.join();
  BOOST_REQUIRE(test::wait_until([&] { return async.count() == 1000; }, 60s));
  BOOST_TEST(failures == 0);
  BOOST_TEST(async.count(errc::none) == 1000u);
  for (auto& r : async.all)
    if (r)
      versions.insert(r->version);
  constexpr uint64_t total = threads * adds + 1000;
  BOOST_TEST(versions.size() == total); // each its own version
  BOOST_TEST(*versions.begin() == 1u);
  BOOST_TEST(*versions.rbegin() == total);
  auto stored = db().read("hot");
  BOOST_REQUIRE(stored);
  BOOST_TEST(stored->value == std::to_string(total));
  BOOST_TEST(stored->version == total);
  auto st = db().stats();
  BOOST_REQUIRE(st);
  BOOST_TEST(st->modifications == total);
  BOOST_TEST(st->modify_writes < st->modifications);
  BOOST_TEST_MESSAGE(st->modifications << " modifications in "
                                       << st->modify_writes
                                       << " store writes");
}

// Modifications that queue while the entity is locked wait for the
// transaction, apply on top of its result, and are written as one store
// write; an operation's refusal in the middle fails only that one.
BOOST_AUTO_TEST_CASE(queued_modifications_coalesce_into_one_write) {
  opts.max_queue_per_entity = 32;
  reopen();
  BOOST_REQUIRE(db().create("c", "0"));
  auto before = modify_writes();
  outcomes results;
  behind_a_lock(db(), "c", "100", results, [&](database& d) {
    // 31 adds of 1, one add that overflows (as the 11th), and one more
    // that finds the queue full.
    for (int i = 0; i < 33; ++i)
      d.modify_async({"c", "add", i == 10 ? "9223372036854775807" : "1"},
                     results.collect());
  });
  BOOST_REQUIRE(test::wait_until([&] { return results.count() == 33; }, 30s));
  BOOST_TEST(results.count(errc::overloaded) == 1u);
  BOOST_TEST(results.count(errc::invalid_argument) == 1u);
  BOOST_TEST(results.count(errc::none) == 31u);
  // On top of the transaction's 100 (v2): 31 versions, one write.
  auto stored = db().read("c");
  BOOST_REQUIRE(stored);
  BOOST_TEST(stored->value == "131");
  BOOST_TEST(stored->version == 2u + 31u);
  BOOST_TEST(modify_writes() - before == 1u);
  std::set<version_t> versions;
  std::set<std::string> values;
  for (auto& r : results.all)
    if (r) {
      versions.insert(r->version);
      values.insert(r->value);
    }
  BOOST_TEST(versions.size() == 31u);
  BOOST_TEST(*versions.begin() == 3u);
  BOOST_TEST(values.count("101") == 1u);
  BOOST_TEST(values.count("131") == 1u);
}

BOOST_AUTO_TEST_CASE(a_refused_add_changes_nothing) {
  BOOST_REQUIRE(db().create("text", "abc"));
  auto r = db().modify("text", "add", "1");
  BOOST_TEST(code(r) == errc::invalid_argument);
  BOOST_TEST(to_string(r.error()).find("not a decimal") != std::string::npos,
             to_string(r.error()));
  BOOST_REQUIRE(db().create("max", "9223372036854775807"));
  BOOST_TEST(code(db().modify("max", "add", "1")) == errc::invalid_argument);
  BOOST_REQUIRE(db().create("min", "-9223372036854775808"));
  BOOST_TEST(code(db().modify("min", "add", "-1")) == errc::invalid_argument);
  BOOST_TEST(code(db().modify("min", "add", "x")) == errc::invalid_argument);
  BOOST_TEST(code(db().modify("min", "add", "+1")) == errc::invalid_argument);
  BOOST_TEST(code(db().modify("min", "add", "")) == errc::invalid_argument);
  for (auto id : {"text", "max", "min"}) {
    auto stored = db().get(id);
    BOOST_REQUIRE(stored);
    BOOST_TEST(stored->version == 1u, id);
  }
  BOOST_TEST(db().get("text")->value == "abc");
  // Absent and deleted count as 0.
  auto fresh = db().modify("fresh", "add", "-5");
  BOOST_REQUIRE(fresh);
  BOOST_TEST(fresh->value == "-5");
  BOOST_TEST(fresh->version == 1u);
  BOOST_REQUIRE(db().erase("fresh", 1));
  auto again = db().modify("fresh", "add", "7");
  BOOST_REQUIRE(again);
  BOOST_TEST(again->value == "7");
  BOOST_TEST(again->version == 3u); // after the tombstone's v2
}

BOOST_AUTO_TEST_CASE(unknown_or_malformed_operations_are_refused) {
  auto unknown = db().modify("x", "multiply", "2");
  BOOST_TEST(code(unknown) == errc::invalid_argument);
  BOOST_TEST(to_string(unknown.error()).find("unknown operation")
               != std::string::npos,
             to_string(unknown.error()));
  BOOST_TEST(code(db().modify("x", "", "1")) == errc::invalid_argument);
  BOOST_TEST(code(db().modify("x", "Add", "1")) == errc::invalid_argument);
  BOOST_TEST(code(db().modify("x", std::string(65, 'a'), ""))
             == errc::invalid_argument);
  BOOST_TEST(code(db().modify("bad id", "add", "1")) == errc::invalid_argument);
  BOOST_TEST(code(db().modify("x", "append",
                              std::string(opts.limits.max_value_bytes + 1,
                                          'v')))
             == errc::too_large);
  // Nothing was written, and the router never even activated "x".
  auto stored = db().read("x");
  BOOST_TEST(code(stored) == errc::not_found);
  auto st = db().stats();
  BOOST_REQUIRE(st);
  BOOST_TEST(st->activations == 0u);
}

BOOST_AUTO_TEST_CASE(append_grows_until_the_value_limit) {
  opts.limits.max_value_bytes = 8;
  reopen();
  auto a = db().modify("log", "append", "abc");
  BOOST_REQUIRE(a);
  BOOST_TEST(a->value == "abc");
  auto b = db().modify("log", "append", "defgh");
  BOOST_REQUIRE(b);
  BOOST_TEST(b->value == "abcdefgh");
  BOOST_TEST(b->version == 2u);
  BOOST_TEST(code(db().modify("log", "append", "i")) == errc::too_large);
  BOOST_TEST(db().get("log")->version == 2u);
}

BOOST_AUTO_TEST_CASE(set_if_version_is_a_conditional_write) {
  auto created = db().modify("s", "set_if_version", "0:first");
  BOOST_REQUIRE(created);
  BOOST_TEST(created->value == "first");
  auto stale = db().modify("s", "set_if_version", "0:again");
  BOOST_REQUIRE(code(stale) == errc::conflict);
  auto c = conflict_of(stale.error());
  BOOST_REQUIRE(c);
  BOOST_TEST(c->expected_version == 0u);
  BOOST_TEST(c->stored.version == 1u);
  BOOST_TEST(c->attempted_value == "again");
  auto next = db().modify("s", "set_if_version", "1:with:colons");
  BOOST_REQUIRE(next);
  BOOST_TEST(next->value == "with:colons");
  BOOST_TEST(next->version == 2u);
  BOOST_TEST(code(db().modify("s", "set_if_version", "2"))
             == errc::invalid_argument);
  BOOST_TEST(code(db().modify("s", "set_if_version", "-1:x"))
             == errc::invalid_argument);
  BOOST_TEST(db().get("s")->version == 2u);
}

// Read-your-writes: a `get` after modifications sent from the same thread
// sees all of them.
BOOST_AUTO_TEST_CASE(get_after_async_modifications_sees_them) {
  outcomes results;
  for (int i = 0; i < 200; ++i)
    db().modify_async({"ryw", "append", "x"}, results.collect());
  auto r = db().get("ryw");
  BOOST_REQUIRE(r);
  BOOST_TEST(r->value == std::string(200, 'x'));
  BOOST_TEST(r->version == 200u);
}

// Modifications and conditional updates (read, then update at the version
// read, retried on conflict) on one counter: no increment lost, every
// acknowledgement its own version, whichever path it took.
BOOST_AUTO_TEST_CASE(modify_and_conditional_updates_linearize) {
  BOOST_REQUIRE(db().create("mixed", "0"));
  constexpr int per_thread = 60;
  std::mutex mtx;
  std::set<version_t> versions;
  std::atomic<int> failures{0};
  auto record_version = [&](version_t v) {
    std::lock_guard<std::mutex> guard{mtx};
    if (!versions.insert(v).second)
      ++failures;
  };
  std::vector<std::thread> users;
  for (int t = 0; t < 3; ++t) {
    users.emplace_back([&] {
      for (int i = 0; i < per_thread; ++i) {
        auto r = db().modify("mixed", "add", "1");
        r ? record_version(r->version) : void(++failures);
      }
    });
    users.emplace_back([&] {
      retry_policy policy;
      policy.max_attempts = 10000;
      policy.initial_backoff = std::chrono::microseconds{10};
      policy.max_backoff = std::chrono::microseconds{500};
      for (int i = 0; i < per_thread; ++i) {
        auto r = read_modify_write(
          db(), "mixed",
          [](const record& cur) {
            return std::optional<std::string>{
              std::to_string(std::stoll(cur.value) + 1)};
          },
          policy);
        r ? record_version(r->version) : void(++failures);
      }
    });
  }
  for (auto& u : users)
    u.join();
  BOOST_TEST(failures == 0);
  auto stored = db().read("mixed");
  BOOST_REQUIRE(stored);
  BOOST_TEST(stored->value == std::to_string(6 * per_thread));
  BOOST_TEST(stored->version == 1u + 6 * per_thread);
  BOOST_TEST(versions.size() == 6u * per_thread);
}

// Optimistic batches write to storage without passing through the entity:
// a group computed on the stale cache is refused by the store and
// recomputed on the record the refusal carries. Nothing is lost either way.
BOOST_AUTO_TEST_CASE(writes_behind_the_entity_back_are_recomputed) {
  BOOST_REQUIRE(db().create("b", "0"));
  std::atomic<int> batch_ok{0};
  std::atomic<bool> stop{false};
  std::thread batcher{[&] {
    while (!stop) {
      auto cur = db().read("b");
      if (!cur)
        continue;
      auto next = std::to_string(std::stoll(cur->value) + 1000);
      if (db().apply_batch({write_op::update("b", cur->version, next)}))
        ++batch_ok;
    }
  }};
  outcomes results;
  constexpr int adds = 400;
  for (int i = 0; i < adds; ++i)
    db().modify_async({"b", "add", "1"}, results.collect());
  BOOST_REQUIRE(test::wait_until([&] { return results.count() == adds; }, 60s));
  stop = true;
  batcher.join();
  // A modification may give up after repeated refusals; it then changed
  // nothing. Every one acknowledged is in the total.
  auto ok = results.count(errc::none);
  BOOST_TEST(ok + results.count(errc::conflict) == size_t{adds});
  auto stored = db().read("b");
  BOOST_REQUIRE(stored);
  BOOST_TEST(stored->value
             == std::to_string(static_cast<long long>(ok)
                               + 1000LL * batch_ok.load()));
  BOOST_TEST(stored->version == 1u + ok + batch_ok.load());
  BOOST_TEST_MESSAGE(ok << " modifications, " << batch_ok
                        << " batches committed");
}

BOOST_AUTO_TEST_CASE(a_service_registers_its_own_operation) {
  opts.operations["max"] = [](const record& cur,
                              const std::string& arg) -> caf::expected<std::string> {
    if (arg.empty())
      return make_error(errc::invalid_argument, "max: empty argument");
    if (!cur.exists() || std::stoll(arg) > std::stoll(cur.value))
      return arg;
    return cur.value;
  };
  opts.operations["fails_foreign"] =
    [](const record&, const std::string&) -> caf::expected<std::string> {
    return caf::make_error(caf::sec::runtime_error);
  };
  reopen();
  BOOST_TEST(db().modify("m", "max", "5")->value == "5");
  BOOST_TEST(db().modify("m", "max", "3")->value == "5");
  BOOST_TEST(db().modify("m", "max", "9")->value == "9");
  BOOST_TEST(code(db().modify("m", "max", "")) == errc::invalid_argument);
  // An error of another category arrives as invalid_argument.
  BOOST_TEST(code(db().modify("m", "fails_foreign", ""))
             == errc::invalid_argument);
  BOOST_TEST(db().get("m")->version == 3u);
  // The built-ins are still there.
  BOOST_TEST(db().modify("n", "add", "2")->value == "2");
}

BOOST_AUTO_TEST_CASE(bad_registrations_refuse_to_open) {
  auto fn = [](const record&, const std::string&) -> caf::expected<std::string> {
    return std::string{};
  };
  for (auto name : {"add", "Bad", "", "has space"}) {
    auto o = opts;
    o.path = dir.sub(std::string{"other-"} + (name[0] ? name : "empty"));
    o.operations[name] = fn;
    auto e = engine::open(o);
    BOOST_TEST(!e, name);
    if (!e)
      BOOST_TEST(code_of(e.error()) == errc::invalid_argument, name);
  }
  auto o = opts;
  o.path = dir.sub("other-null");
  o.operations["null"] = nullptr;
  auto e = engine::open(o);
  BOOST_TEST(!e);
}

BOOST_AUTO_TEST_CASE(acknowledged_modifications_survive_a_reopen) {
  outcomes results;
  for (int i = 0; i < 300; ++i)
    db().modify_async({"kept", "add", "2"}, results.collect());
  BOOST_REQUIRE(test::wait_until([&] { return results.count() == 300; }, 60s));
  BOOST_TEST(results.count(errc::none) == 300u);
  reopen();
  auto r = db().get("kept");
  BOOST_REQUIRE(r);
  BOOST_TEST(r->value == "600");
  BOOST_TEST(r->version == 300u);
}

BOOST_AUTO_TEST_SUITE_END()
