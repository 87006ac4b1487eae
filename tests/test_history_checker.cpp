#include <boost/test/unit_test.hpp>

#include <string>

#include "history/campaign.hpp"
#include "history/checker.hpp"
#include "history/expect.hpp"
#include "history/reference_database.hpp"

// The linearizability checker on small hand-made histories of one key, and
// the whole history test (workload, recorder, checker) against a database
// that is linearizable by construction, and one whose gets lag.

using namespace entact;
using namespace entact::test::history;

namespace {

nanos ms(double x) {
  return static_cast<nanos>(x * 1e6);
}

/// Builds one key's history; times in ms.
struct builder {
  key_history h{"k", {}};

  uint64_t add(key_op op) {
    op.id = h.ops.size() + 1;
    h.ops.push_back(std::move(op));
    return h.ops.back().id;
  }

  static key_op at(int thread, double from, double to, api call) {
    key_op op;
    op.thread = thread;
    op.call = call;
    op.invoke = ms(from);
    op.response = ms(to);
    return op;
  }

  /// A read that returned {v, value} (or a tombstone).
  uint64_t read(int thread, double from, double to, version_t v,
                std::string value, api call = api::read,
                bool deleted = false) {
    auto op = at(thread, from, to, call);
    op.seen = record{h.key, v, std::move(value), deleted};
    return add(std::move(op));
  }

  /// A get or read that returned not_found.
  uint64_t absent(int thread, double from, double to, api call = api::get) {
    auto op = at(thread, from, to, call);
    op.res = outcome::absent;
    return add(std::move(op));
  }

  /// A write; with `ok`, `new_version` is the version it wrote.
  uint64_t write(int thread, double from, double to, action act,
                 version_t expected, std::string value, outcome res,
                 version_t new_version = 0, api call = api::update) {
    auto op = at(thread, from, to, call);
    op.act = act;
    op.expected = expected;
    op.value = act == action::erase_if_version ? "" : value;
    op.res = res;
    if (res == outcome::ok)
      op.seen = record{h.key, new_version, op.value,
                       act == action::erase_if_version};
    if (res == outcome::unknown)
      op.response = never;
    return add(std::move(op));
  }

  uint64_t create(int thread, double from, double to, std::string value,
                  version_t new_version, api call = api::create) {
    return write(thread, from, to, action::create_if_absent, no_version,
                 std::move(value), outcome::ok, new_version, call);
  }

  uint64_t update(int thread, double from, double to, version_t expected,
                  std::string value, api call = api::update) {
    return write(thread, from, to, action::update_if_version, expected,
                 std::move(value), outcome::ok, expected + 1, call);
  }

  /// `modify(append, arg)` that wrote {new_version, value} (or whose
  /// outcome is unknown: `new_version` 0).
  uint64_t append(int thread, double from, double to, std::string arg,
                  version_t new_version, std::string value = {}) {
    auto op = at(thread, from, to, api::modify);
    op.act = action::modify_append;
    op.value = std::move(arg);
    if (new_version == 0) {
      op.res = outcome::unknown;
      op.response = never;
    } else {
      op.seen = record{h.key, new_version, std::move(value), false};
    }
    return add(std::move(op));
  }

  /// `n` sequential unconditional writes by thread 0, 0.25 ms apart from
  /// 0 ms: the record is at version n, value "w<n>", afterwards.
  void prefix(int n) {
    for (int i = 1; i <= n; ++i)
      write(0, (i - 1) * 0.25, (i - 1) * 0.25 + 0.1,
            action::write_unconditionally, no_version,
            "w" + std::to_string(i), outcome::ok, static_cast<version_t>(i),
            api::write_unconditionally);
  }

  verdict run(check_options opts = {}) const {
    return check(h, opts).v;
  }
};

struct reference_endpoint : endpoint {
  reference_database ref;

  explicit reference_endpoint(bool stale_gets) : ref(stale_gets) {
    // nop
  }

  database& db(int) override {
    return ref;
  }
};

campaign record_reference(bool stale_gets) {
  reference_endpoint ep{stale_gets};
  campaign c;
  c.name = stale_gets ? "reference with stale gets" : "reference";
  workload w;
  w.threads = 8;
  w.moves = 40;
  for (int r = 0; r < 3; ++r)
    c.add(run_round(ep, w, r, {}, static_cast<unsigned>(r + 1)));
  return c;
}

} // namespace

BOOST_AUTO_TEST_SUITE(history_checker)

BOOST_AUTO_TEST_CASE(an_empty_history_is_linearizable) {
  builder b;
  BOOST_TEST(b.run() == verdict::linearizable);
  b.absent(1, 0, 1);
  b.read(1, 2, 3, 0, "", api::read_many);
  BOOST_TEST(b.run() == verdict::linearizable);
}

BOOST_AUTO_TEST_CASE(a_history_that_follows_the_version_rule_passes) {
  builder b;
  b.create(1, 0, 1, "a", 1);
  b.read(2, 2, 3, 1, "a", api::get);
  b.update(1, 4, 5, 1, "b");
  b.write(2, 6, 7, action::update_if_version, 1, "c", outcome::conflict);
  b.write(2, 8, 9, action::create_if_absent, 0, "d", outcome::conflict);
  b.write(1, 10, 11, action::erase_if_version, 2, "", outcome::ok, 3);
  b.absent(2, 12, 13);
  b.read(2, 14, 15, 3, "", api::read_many, true);
  b.write(2, 16, 17, action::update_if_version, 3, "e", outcome::not_found);
  b.create(1, 18, 19, "f", 4);
  b.write(2, 20, 21, action::write_unconditionally, 0, "g", outcome::ok, 5);
  b.read(1, 22, 23, 5, "g");
  BOOST_TEST(b.run() == verdict::linearizable);
}

BOOST_AUTO_TEST_CASE(a_stale_read_after_a_completed_write_fails) {
  builder b;
  b.create(1, 0, 1, "a", 1);
  b.update(1, 2, 3, 1, "b");
  b.read(2, 4, 5, 1, "a", api::get);
  BOOST_TEST(b.run() == verdict::not_linearizable);
}

BOOST_AUTO_TEST_CASE(reads_during_a_write_see_either_state_never_going_back) {
  builder b;
  b.create(1, 0, 1, "a", 1);
  b.update(1, 2, 20, 1, "b");
  b.read(2, 3, 4, 1, "a", api::get);
  b.read(3, 5, 6, 2, "b");
  // Still concurrent with the write, but after v2 was seen:
  b.read(2, 7, 8, 1, "a", api::get);
  BOOST_TEST(b.run() == verdict::not_linearizable);
  b.h.ops.pop_back();
  BOOST_TEST(b.run() == verdict::linearizable);
  // Two writes that overlap may take effect in either order.
  builder c;
  c.write(1, 0, 10, action::write_unconditionally, 0, "x", outcome::ok, 2);
  c.write(2, 1, 9, action::write_unconditionally, 0, "y", outcome::ok, 1);
  BOOST_TEST(c.run() == verdict::linearizable);
}

BOOST_AUTO_TEST_CASE(versions_increase_by_one_per_write) {
  builder b;
  b.create(1, 0, 10, "a", 1);
  b.create(2, 0, 10, "b", 1);
  BOOST_TEST(b.run() == verdict::not_linearizable); // two writes of v1
  builder c;
  c.create(1, 0, 1, "a", 1);
  c.write(2, 2, 3, action::write_unconditionally, 0, "b", outcome::ok, 3);
  BOOST_TEST(c.run() == verdict::not_linearizable); // v2 skipped
}

BOOST_AUTO_TEST_CASE(refusals_need_their_condition_to_hold) {
  builder b;
  b.create(1, 0, 1, "a", 1);
  b.write(2, 2, 3, action::update_if_version, 1, "b", outcome::conflict);
  BOOST_TEST(b.run() == verdict::not_linearizable); // v1 was current
  builder c;
  c.create(1, 0, 1, "a", 1);
  c.write(2, 2, 3, action::update_if_version, 1, "b", outcome::not_found);
  BOOST_TEST(c.run() == verdict::not_linearizable); // it existed
  builder d;
  d.write(2, 2, 3, action::create_if_absent, 0, "b", outcome::conflict);
  BOOST_TEST(d.run() == verdict::not_linearizable); // nothing existed
}

BOOST_AUTO_TEST_CASE(a_write_of_unknown_outcome_may_take_effect_or_not) {
  builder b;
  b.create(1, 0, 1, "a", 1);
  b.write(2, 2, 3, action::update_if_version, 1, "lost?", outcome::unknown);
  b.read(3, 50, 51, 1, "a");
  BOOST_TEST(b.run() == verdict::linearizable); // it did not
  b.read(3, 52, 53, 2, "lost?");
  BOOST_TEST(b.run() == verdict::linearizable); // it did, late
  b.read(3, 54, 55, 1, "a");
  BOOST_TEST(b.run() == verdict::not_linearizable); // not both ways
  // An unknown write explains the version a later write builds on.
  builder c;
  c.create(1, 0, 1, "a", 1);
  c.write(2, 2, 3, action::write_unconditionally, 0, "b", outcome::unknown);
  c.update(1, 4, 5, 2, "c");
  BOOST_TEST(c.run() == verdict::linearizable);
}

BOOST_AUTO_TEST_CASE(modifications_build_on_the_state_they_find) {
  // Two concurrent appends: either order, as long as each builds on the
  // other's result.
  builder b;
  b.create(1, 0, 1, "a", 1);
  b.append(2, 2, 6, "+x", 2, "a+x");
  b.append(3, 2, 6, "+y", 3, "a+x+y");
  b.read(1, 7, 8, 3, "a+x+y", api::get);
  BOOST_TEST(b.run() == verdict::linearizable);
  // A lost update: the second computed on the state before the first.
  builder c;
  c.create(1, 0, 1, "a", 1);
  c.append(2, 2, 6, "+x", 2, "a+x");
  c.append(3, 2, 6, "+y", 3, "a+y");
  BOOST_TEST(c.run() == verdict::not_linearizable);
  // On an absent or deleted entity an append starts from nothing.
  builder d;
  d.append(1, 0, 1, "+x", 1, "+x");
  d.write(1, 2, 3, action::erase_if_version, 1, "", outcome::ok, 2);
  d.append(1, 4, 5, "+y", 3, "+y");
  BOOST_TEST(d.run() == verdict::linearizable);
  builder e;
  e.create(1, 0, 1, "a", 1);
  e.append(1, 2, 3, "+x", 2, "+x"); // ignored the stored "a"
  BOOST_TEST(e.run() == verdict::not_linearizable);
  // One of unknown outcome may explain a later state, or never happen.
  builder f;
  f.create(1, 0, 1, "a", 1);
  f.append(2, 2, 3, "+x", 0);
  f.append(3, 4, 5, "+y", 3, "a+x+y");
  BOOST_TEST(f.run() == verdict::linearizable);
  f.read(1, 6, 7, 2, "a+y");
  BOOST_TEST(f.run() == verdict::not_linearizable); // not both ways
}

BOOST_AUTO_TEST_CASE(a_get_waits_for_the_callers_earlier_async_writes) {
  builder b;
  b.create(1, 0, 1, "a", 1);
  auto w = b.update(1, 2, 10, 1, "b", api::apply_async);
  b.read(1, 3, 4, 1, "a", api::get);
  BOOST_TEST(b.run() == verdict::linearizable); // in real time alone
  b.h.ops.back().after = {w};
  BOOST_TEST(b.run() == verdict::not_linearizable);
  check_options real_time_only;
  real_time_only.session_order = false;
  BOOST_TEST(b.run(real_time_only) == verdict::linearizable);
}

BOOST_AUTO_TEST_CASE(an_async_write_a_get_did_not_wait_for_never_took_effect) {
  builder b;
  b.create(1, 0, 1, "a", 1);
  auto w = b.write(1, 2, 3, action::update_if_version, 1, "b",
                   outcome::unknown, 0, api::apply_async);
  b.read(1, 3, 4, 1, "a", api::get);
  b.h.ops.back().after = {w};
  BOOST_TEST(b.run() == verdict::linearizable); // it failed
  b.read(2, 20, 21, 2, "b");
  BOOST_TEST(b.run() == verdict::not_linearizable); // it cannot land later
}

// The shapes of issue 15: a get through the entity's actor returns the
// state before a write that a read from storage already returned, on the
// same thread microseconds apart.
BOOST_AUTO_TEST_CASE(the_issue_15_shapes_fail) {
  // v82 is a tombstone; t5's create of v83 spans [23.289, 24.192].
  builder b;
  b.prefix(81);
  b.write(0, 20.5, 20.6, action::erase_if_version, 81, "", outcome::ok, 82,
          api::erase);
  b.create(5, 23.289, 24.192, "t5-118", 83);
  b.read(3, 24.099, 24.102, 83, "t5-118");
  b.absent(3, 24.103, 24.132, api::get);
  BOOST_TEST(b.run() == verdict::not_linearizable);
  auto e = explain(b.h);
  BOOST_TEST(e.core.size() == 2u);
  BOOST_TEST(!e.session_only);
  BOOST_TEST_REQUIRE(e.context.size() >= 1u);
  BOOST_TEST(e.context.front().value == "t5-118");
  auto text = render(b.h.key, e);
  BOOST_TEST_MESSAGE(text);
  BOOST_TEST(text.find("t3 #") != std::string::npos);
  BOOST_TEST(text.find("read -> v83 \"t5-118\"") != std::string::npos);
  BOOST_TEST(text.find("get -> not_found") != std::string::npos);
  BOOST_TEST(text.find("create(\"t5-118\") -> ok v83") != std::string::npos);
  // The same with an existing v82 and an update (a transaction, a batch or
  // an unconditional write miss it the same way).
  builder c;
  c.prefix(82);
  c.update(5, 23.289, 24.192, 82, "t5-118", api::transact);
  c.read(3, 24.099, 24.102, 83, "t5-118");
  c.read(3, 24.103, 24.132, 82, "w82", api::get);
  BOOST_TEST(c.run() == verdict::not_linearizable);
  BOOST_TEST_MESSAGE(render(c.h.key, explain(c.h)));
  // Without the read, the get may well come before the update.
  c.h.ops.erase(c.h.ops.end() - 2);
  BOOST_TEST(c.run() == verdict::linearizable);
}

BOOST_AUTO_TEST_CASE(a_spent_step_budget_is_reported_not_passed) {
  builder b;
  b.create(1, 0, 1, "a", 1);
  for (int t = 0; t < 12; ++t)
    b.write(t, 2, 3, action::write_unconditionally, 0,
            "u" + std::to_string(t), outcome::unknown);
  b.read(1, 50, 51, 1, "nobody wrote this");
  check_options tight;
  tight.step_budget = 10;
  auto r = check(b.h, tight);
  BOOST_TEST(r.v == verdict::undecided);
  BOOST_TEST(r.steps > 10u);
  BOOST_TEST(b.run() == verdict::not_linearizable);
}

BOOST_AUTO_TEST_CASE(a_long_linearizable_history_is_decided_quickly) {
  // 16 threads, each alternating reads and versioned writes that overlap.
  builder b;
  version_t v = 0;
  for (int i = 0; i < 400; ++i) {
    double t = i * 0.1;
    int thread = i % 16;
    if (i % 2 == 0) {
      auto value = "t" + std::to_string(thread) + "-" + std::to_string(i);
      if (v == 0)
        b.create(thread, t, t + 1.5, value, 1);
      else
        b.update(thread, t, t + 1.5, v, value);
      ++v;
    } else {
      b.write(thread, t, t + 1.5, action::update_if_version, v + 7, "x",
              outcome::conflict);
    }
  }
  auto r = check(b.h);
  BOOST_TEST(r.v == verdict::linearizable);
  BOOST_TEST(r.steps < 10000u);
}

BOOST_AUTO_TEST_CASE(histories_of_a_linearizable_database_pass) {
  expect_linearizable(record_reference(false), 8);
}

BOOST_AUTO_TEST_CASE(histories_of_a_database_whose_gets_lag_fail) {
  auto c = record_reference(true);
  BOOST_TEST_MESSAGE(c.summary() << c.reports);
  BOOST_TEST(c.failed_rounds == c.rounds);
  BOOST_TEST(c.real_time_rounds > 0);
  BOOST_TEST(c.undecided_rounds == 0);
}

BOOST_AUTO_TEST_SUITE_END()
