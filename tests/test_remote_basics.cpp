#include <boost/test/unit_test.hpp>

#include <chrono>
#include <functional>
#include <utility>
#include <vector>

#include "entact/client.hpp"
#include "entact/resolve.hpp"
#include "support/print.hpp"
#include "support/server_process.hpp"

using namespace entact;
using entact::test::code;

namespace {

struct remote_fixture {
  test::server_process server;
  std::unique_ptr<client> db;

  remote_fixture() {
    connect_client();
  }

  void connect_client() {
    db.reset();
    auto c = entact::connect("127.0.0.1", server.port());
    if (!c)
      throw std::runtime_error("connect failed: " + to_string(c.error()));
    db = std::move(*c);
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(remote_basics, remote_fixture)

BOOST_AUTO_TEST_CASE(versioned_writes_and_reads_over_the_wire) {
  auto v1 = db->create("product/1", "Gadget");
  BOOST_REQUIRE(v1);
  BOOST_TEST(v1->version == 1u);
  BOOST_REQUIRE(db->update("product/1", 1, "Super Gadget"));
  BOOST_TEST(db->get("product/1")->value == "Super Gadget");
  BOOST_TEST(db->read("product/1")->version == 2u);
  BOOST_TEST(code(db->read("nobody")) == errc::not_found);
  BOOST_TEST(code(db->get("nobody")) == errc::not_found);
  auto many = db->read_many({"product/1", "nobody"});
  BOOST_REQUIRE(many);
  BOOST_TEST((*many)[0].version == 2u);
  BOOST_TEST((*many)[1].version == no_version);
}

BOOST_AUTO_TEST_CASE(a_conflict_keeps_its_payload_over_the_wire) {
  BOOST_REQUIRE(db->create("product/1", "Gadget"));
  BOOST_REQUIRE(db->update("product/1", 1, "Super Gadget"));
  auto stale = db->update("product/1", 1, "Amazing Gadget");
  BOOST_REQUIRE(!stale);
  auto c = conflict_of(stale.error());
  BOOST_REQUIRE(c);
  BOOST_TEST(c->id == "product/1");
  BOOST_TEST(c->expected_version == 1u);
  BOOST_TEST(c->stored.version == 2u);
  BOOST_TEST(c->stored.value == "Super Gadget");
  BOOST_TEST(c->attempted_value == "Amazing Gadget");
  // The resolution helpers work unchanged against the remote database.
  auto merged = resolve_merge(*db, *c, "Gadget",
                              [](auto&, auto& attempted, auto& stored) {
                                return std::optional<std::string>{
                                  attempted + " + " + stored.value};
                              });
  BOOST_REQUIRE(merged);
  BOOST_TEST(merged->value == "Amazing Gadget + Super Gadget");
}

BOOST_AUTO_TEST_CASE(a_not_found_keeps_the_stored_record_over_the_wire) {
  BOOST_REQUIRE(db->create("product/1", "Gadget"));
  BOOST_REQUIRE(db->erase("product/1", 1));
  const record tombstone{"product/1", 2, {}, true};
  for (auto r : {db->read("product/1"), db->get("product/1"),
                 db->update("product/1", 2, "x")}) {
    BOOST_REQUIRE(!r);
    BOOST_TEST(code_of(r.error()) == errc::not_found);
    BOOST_TEST((stored_of(r.error()) == tombstone));
  }
  auto never = db->get("nobody");
  BOOST_REQUIRE(!never);
  BOOST_TEST((stored_of(never.error()) == record{"nobody", 0, {}, false}));
}

BOOST_AUTO_TEST_CASE(remote_transactions_and_batches_are_atomic) {
  BOOST_REQUIRE(db->create("acct/1", "100"));
  BOOST_REQUIRE(db->create("acct/2", "100"));
  auto moved = db->transact({"acct/1", "acct/2"}, [](transaction& t) {
    t.put("acct/1", "70");
    return t.put("acct/2", "130");
  });
  BOOST_REQUIRE(moved);
  BOOST_TEST(db->read("acct/1")->value == "70");
  auto refused = db->transact({"acct/1", "acct/2"}, [](transaction& t) {
    t.put("acct/1", "0");
    return make_error(errc::aborted, "changed my mind");
  });
  BOOST_TEST(code(refused) == errc::aborted);
  BOOST_TEST(db->read("acct/1")->value == "70");
  auto batch = db->apply_batch({write_op::update("acct/1", 2, "60"),
                                write_op::update("acct/2", 1, "140")});
  BOOST_TEST(code(batch) == errc::conflict); // acct/2 is at version 2
  BOOST_TEST(db->read("acct/1")->value == "70");
}

BOOST_AUTO_TEST_CASE(oversized_and_invalid_requests_get_clear_errors) {
  auto big = std::string(1024 * 1024 + 1, 'x');
  BOOST_TEST(code(db->write_unconditionally("big", big)) == errc::too_large);
  BOOST_TEST(code(db->create("bad id", "x")) == errc::invalid_argument);
  std::vector<entity_id> ids(limits{}.max_read_ids + 1, "k");
  BOOST_TEST(code(db->read_many(ids)) == errc::too_large);
  ids.pop_back();
  BOOST_TEST(db->read_many(ids).value().size() == 4096u);
  BOOST_TEST(code(db->read("nobody")) == errc::not_found);
  BOOST_TEST(db->stats().value().activations == 0u);
}

// The front door once answered only the router's counters (entities):
// every store and transaction counter read 0 over the wire.
BOOST_AUTO_TEST_CASE(remote_stats_count_the_store_and_transactions) {
  auto before = db->stats();
  BOOST_REQUIRE(before);
  BOOST_REQUIRE(db->create("stats/1", "1"));
  BOOST_REQUIRE(db->create("stats/2", "2"));
  BOOST_REQUIRE(db->transact({"stats/1", "stats/2"}, [](transaction& t) {
    return t.put("stats/1", "3");
  }));
  BOOST_TEST(code(db->update("stats/2", 7, "x")) == errc::conflict);
  auto after = db->stats();
  BOOST_REQUIRE(after);
  BOOST_TEST(after->commit_groups >= before->commit_groups + 3);
  BOOST_TEST(after->writes_committed >= before->writes_committed + 3);
  BOOST_TEST(after->batches_committed >= before->batches_committed + 3);
  BOOST_TEST(after->txn_begun >= before->txn_begun + 1);
  BOOST_TEST(after->txn_committed >= before->txn_committed + 1);
  BOOST_TEST(after->txn_aborted.size() == before->txn_aborted.size());
  BOOST_TEST(!after->txn_aborted.empty());
  BOOST_TEST(after->commit_seconds.counts.size()
             == after->commit_seconds.bounds.size() + 1);
  BOOST_TEST(after->activations >= 2u);
}

BOOST_AUTO_TEST_CASE(remote_reads_follow_the_servers_read_limit) {
  test::server_process small{{"--max-read-ids=2"}};
  auto c = entact::connect("127.0.0.1", small.port());
  BOOST_REQUIRE(c);
  BOOST_CHECK((*c)->read_many({"a", "b"}));
  BOOST_TEST(code((*c)->read_many({"a", "b", "c"})) == errc::too_large);
}

BOOST_AUTO_TEST_CASE(a_server_restart_keeps_acknowledged_data) {
  for (int i = 0; i < 50; ++i)
    BOOST_REQUIRE(db->create("k/" + std::to_string(i), std::to_string(i)));
  db.reset();
  BOOST_TEST(server.stop() == 0); // clean SIGTERM shutdown
  server.restart();
  connect_client();
  for (int i = 0; i < 50; ++i)
    BOOST_TEST(db->read("k/" + std::to_string(i))->value == std::to_string(i));
}

BOOST_AUTO_TEST_CASE(a_lost_server_is_a_clear_error_not_a_hang) {
  BOOST_REQUIRE(db->create("x", "1"));
  server.crash();
  auto start = std::chrono::steady_clock::now();
  auto r = db->update("x", 1, "2");
  BOOST_REQUIRE(!r);
  auto c = code_of(r.error());
  BOOST_TEST((c == errc::unreachable || c == errc::timeout));
  BOOST_TEST((std::chrono::steady_clock::now() - start
              < std::chrono::seconds{10}));
  server.restart(); // the fixture's destructor stops it cleanly
}

// A server that is alive but silent: every kind of call ends with
// `timeout` at its deadline (kept by the client's gateways), and the
// client works again once the server does.
BOOST_AUTO_TEST_CASE(calls_to_a_silent_server_time_out_at_their_deadline) {
  client_options opts;
  opts.port = server.port();
  opts.request_timeout = std::chrono::milliseconds{300};
  auto c = client::connect(opts);
  BOOST_REQUIRE(c);
  auto& db = **c;
  BOOST_REQUIRE(db.create("x", "1"));
  server.pause();
  using call = std::function<errc()>;
  std::vector<std::pair<const char*, call>> calls{
    {"get", [&] { return code(db.get("x")); }},
    {"update", [&] { return code(db.update("x", 1, "2")); }},
    {"read_many", [&] { return code(db.read_many({"x"})); }},
    {"stats", [&] { return code(db.stats()); }},
    {"transact", [&] {
       return code(db.transact({"x"}, [](transaction& t) {
         return t.put("x", "3");
       }));
     }}};
  for (auto& [name, f] : calls) {
    auto start = std::chrono::steady_clock::now();
    auto result = f();
    auto took = std::chrono::steady_clock::now() - start;
    BOOST_TEST(result == errc::timeout, name << ": " << result);
    BOOST_TEST((took >= std::chrono::milliseconds{280}), name);
    BOOST_TEST((took < std::chrono::seconds{3}), name);
  }
  server.resume();
  // The update above may or may not have been applied once the server woke:
  // its outcome was unknown, which is what `timeout` means for a write.
  auto after = db.get("x");
  BOOST_REQUIRE(after);
  BOOST_TEST(after->version >= 1u);
  BOOST_CHECK(db.write_unconditionally("x", "4"));
}

// `entact::connect` takes the options directly: a short request timeout
// set there holds for every call.
BOOST_AUTO_TEST_CASE(connect_takes_options) {
  auto c = entact::connect({"127.0.0.1", server.port(),
                            std::chrono::milliseconds{300}});
  BOOST_REQUIRE(c);
  BOOST_REQUIRE((*c)->create("x", "1"));
  server.pause();
  auto start = std::chrono::steady_clock::now();
  BOOST_TEST(code((*c)->get("x")) == errc::timeout);
  auto took = std::chrono::steady_clock::now() - start;
  server.resume();
  BOOST_TEST((took >= std::chrono::milliseconds{280}));
  BOOST_TEST((took < std::chrono::seconds{3}));
  BOOST_TEST(code(entact::connect({"127.0.0.1", 0})) == errc::invalid_argument);
  BOOST_TEST(code(entact::connect({"127.0.0.1", server.port(),
                                   std::chrono::milliseconds{0}}))
             == errc::invalid_argument);
}

BOOST_AUTO_TEST_CASE(a_client_with_one_worker_thread_gets_answers) {
  client_options opts;
  opts.port = server.port();
  opts.worker_threads = 1;
  opts.request_timeout = std::chrono::seconds{5};
  auto one = client::connect(opts);
  BOOST_REQUIRE(one);
  BOOST_CHECK((*one)->create("solo", "1"));
  BOOST_CHECK((*one)->stats());
  BOOST_TEST((*one)->read("solo")->value == "1");
  BOOST_CHECK((*one)->apply_batch({write_op::update("solo", 1, "2")}));
}

BOOST_AUTO_TEST_CASE(connecting_to_nothing_is_unreachable) {
  auto port = server.port();
  server.stop();
  auto c = entact::connect("127.0.0.1", port);
  BOOST_REQUIRE(!c);
  BOOST_TEST(code_of(c.error()) == errc::unreachable);
  server.restart();
}

BOOST_AUTO_TEST_SUITE_END()
