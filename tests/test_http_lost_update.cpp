// The lost-update story over HTTP against a real entactd, and concurrent
// PUTs with If-Match: exactly one writer wins each version, none is lost.
#include <atomic>
#include <optional>
#include <thread>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "support/http_client.hpp"
#include "support/server_process.hpp"

using entact::test::etag;
using entact::test::problem_of;
using entact::test::response_of;

namespace {

struct http_server {
  entact::test::server_process server{{"--http-port=0", "--no-sync"}};

  httplib::Client client() {
    return entact::test::http_client(server.http_port());
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(http_lost_update, http_server)

BOOST_AUTO_TEST_CASE(b_stale_save_is_412_and_b_resolves_by_reload_or_overwrite) {
  auto a = client();
  auto b = client();
  auto made = a.Put("/v1/entities/product/1", {{"If-None-Match", "*"}},
                    "Gadget", "text/plain");
  BOOST_TEST(response_of(made).status == 201);
  // A and B both read v1.
  auto a_read = a.Get("/v1/entities/product/1");
  auto b_read = b.Get("/v1/entities/product/1");
  auto v1 = response_of(a_read).get_header_value("ETag");
  BOOST_TEST(response_of(b_read).get_header_value("ETag") == v1);
  // A saves.
  auto a_save = a.Put("/v1/entities/product/1", {{"If-Match", v1}},
                      "Super Gadget", "text/plain");
  BOOST_TEST(response_of(a_save).status == 200);
  // B's save, based on v1, is refused with everything needed to resolve.
  auto b_save = b.Put("/v1/entities/product/1", {{"If-Match", v1}},
                      "Amazing Gadget", "text/plain");
  BOOST_TEST(response_of(b_save).status == 412);
  auto p = problem_of(*b_save);
  BOOST_TEST(p["expected_version"] == 1);
  BOOST_TEST(p["stored"]["value"] == "Super Gadget");
  BOOST_TEST(p["attempted_value"] == "Amazing Gadget");
  // Resolve by reload: B takes the stored version and saves on top of it.
  auto current = b_save->get_header_value("ETag");
  BOOST_TEST(current == etag(2));
  auto merged = b.Put("/v1/entities/product/1", {{"If-Match", current}},
                      "Super Amazing Gadget", "text/plain");
  BOOST_TEST(response_of(merged).status == 200);
  BOOST_TEST(merged->get_header_value("ETag") == etag(3));
  // Or by overwrite, explicitly: last write wins.
  auto forced = a.Put("/v1/entities/product/1?overwrite=true",
                      "Gadget Classic", "text/plain");
  BOOST_TEST(response_of(forced).status == 200);
  BOOST_TEST(response_of(a.Get("/v1/entities/product/1")).body
             == "Gadget Classic");
}

BOOST_AUTO_TEST_CASE(concurrent_if_match_puts_one_winner_per_version) {
  auto setup = client();
  auto made = setup.Put("/v1/entities/counter", {{"If-None-Match", "*"}},
                        "0", "text/plain");
  BOOST_REQUIRE(response_of(made).status == 201);
  constexpr int writers = 4;
  constexpr int increments = 25;
  std::atomic<int> refused{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w)
    threads.emplace_back([&] {
      auto cli = client();
      for (int done = 0; done < increments;) {
        auto got = cli.Get("/v1/entities/counter");
        if (!got || got->status != 200) {
          ++failures;
          return;
        }
        auto next = std::to_string(std::stoi(got->body) + 1);
        auto put = cli.Put("/v1/entities/counter",
                           {{"If-Match", got->get_header_value("ETag")}},
                           next, "text/plain");
        if (!put) {
          ++failures;
          return;
        }
        if (put->status == 200)
          ++done;
        else if (put->status == 412)
          ++refused;
        else {
          ++failures;
          return;
        }
      }
    });
  for (auto& t : threads)
    t.join();
  BOOST_TEST(failures == 0);
  auto final = setup.Get("/v1/entities/counter");
  // Every successful read-modify-write counted: no increment was lost.
  BOOST_TEST(response_of(final).body == std::to_string(writers * increments));
  BOOST_TEST(final->get_header_value("ETag")
             == etag(1 + writers * increments));
  BOOST_TEST_MESSAGE("412s while racing: " << refused.load());
}

BOOST_AUTO_TEST_SUITE_END()
