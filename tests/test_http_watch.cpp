// GET /v1/entities/{id}/watch: watches as Server-Sent Events, against a
// real entactd (--http-port=0) and an embedded serve_http: every version in
// order under concurrent writes, after / Last-Event-ID, a slow reader that
// lags instead of buffering, the stream bound (503), keepalives, a peer
// that leaves, stop and SIGTERM with open streams, and bad input.
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "entact/serve_http.hpp"
#include "support/engine_fixture.hpp"
#include "support/http_client.hpp"
#include "support/server_process.hpp"
#include "support/sse_client.hpp"
#include "support/wait_until.hpp"

using namespace std::chrono_literals;
using entact::test::etag;
using entact::test::problem_of;
using entact::test::response_of;
using entact::test::sse_client;
using entact::test::sse_event;
using entact::test::wait_until;

namespace {

/// The value of an unlabelled sample in a /metrics scrape (-1 if absent).
double metric(uint16_t port, const std::string& name) {
  auto res = entact::test::http_client(port).Get("/metrics");
  std::istringstream lines{response_of(res).body};
  std::string line;
  while (std::getline(lines, line))
    if (line.rfind(name + " ", 0) == 0)
      return std::stod(line.substr(name.size() + 1));
  return -1;
}

/// The stream has answered its headers with 200.
bool open_200(const sse_client& s) {
  return wait_until([&] { return s.status() != 0; }, 30s)
         && s.status() == 200;
}

uint64_t version_of(const sse_event& ev) {
  return std::stoull(ev.id);
}

/// Checks what a watch guarantees: strictly increasing ids, each event's
/// data the record of its id, and a `version` event exactly one after the
/// event before it (a `lagged` one may skip).
void check_order(const std::vector<sse_event>& events, uint64_t after) {
  auto prev = after;
  for (const auto& ev : events) {
    BOOST_TEST_REQUIRE((ev.type == "version" || ev.type == "lagged"));
    auto v = version_of(ev);
    auto data = nlohmann::json::parse(ev.data);
    BOOST_TEST(data["version"].get<uint64_t>() == v);
    if (ev.type == "version")
      BOOST_TEST_REQUIRE(v == prev + 1);
    else
      BOOST_TEST_REQUIRE(v > prev);
    prev = v;
  }
}

/// entactd with a short keepalive, 4 HTTP threads, at most 2 streams.
struct http_server {
  entact::test::server_process server{
    {"--http-port=0", "--no-sync", "--http-threads=4",
     "--http-max-watch-streams=2", "--http-watch-keepalive-ms=100"}};
  uint16_t port = server.http_port();
  httplib::Client cli = entact::test::http_client(port);

  /// The first event of a watch of `target`; then disconnects and waits
  /// for the server to end the stream (at most 2 may be open).
  sse_event first_event(const std::string& target,
                        httplib::Headers headers = {}) {
    sse_event first;
    {
      sse_client watch{port, target, headers};
      BOOST_TEST_INFO(target);
      BOOST_TEST_REQUIRE(wait_until([&] { return watch.count() >= 1; }, 30s));
      first = watch.events()[0];
    }
    BOOST_TEST_REQUIRE(wait_until(
      [&] { return metric(port, "entact_http_watch_streams") == 0; }, 30s));
    return first;
  }

  /// Creates `id` and updates it until it is at version `n`.
  void write_versions(const std::string& id, uint64_t n) {
    auto path = "/v1/entities/" + id;
    auto made = cli.Put(path, {{"If-None-Match", "*"}}, "v1", "text/plain");
    BOOST_TEST_REQUIRE(response_of(made).status == 201);
    for (uint64_t v = 1; v < n; ++v) {
      auto res = cli.Put(path, {{"If-Match", etag(v)}},
                         "v" + std::to_string(v + 1), "text/plain");
      BOOST_TEST_REQUIRE(response_of(res).status == 200);
    }
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(http_watch, http_server)

BOOST_AUTO_TEST_CASE(a_watch_sees_every_version_and_the_tombstone) {
  write_versions("doc/1", 1);
  sse_client watch{port, "/v1/entities/doc/1/watch"};
  BOOST_TEST_REQUIRE(open_200(watch));
  BOOST_TEST(watch.header("Content-Type") == "text/event-stream");
  BOOST_TEST(watch.header("Cache-Control") == "no-store");
  // 200 conditional updates from this thread while the stream is read on
  // its own, then a DELETE.
  for (uint64_t v = 1; v <= 200; ++v) {
    auto res = cli.Put("/v1/entities/doc/1", {{"If-Match", etag(v)}},
                       "v" + std::to_string(v + 1), "text/plain");
    BOOST_TEST_REQUIRE(response_of(res).status == 200);
  }
  auto del = cli.Delete("/v1/entities/doc/1", {{"If-Match", etag(201)}});
  BOOST_TEST_REQUIRE(response_of(del).status == 200);
  BOOST_TEST_REQUIRE(wait_until([&] { return watch.count() >= 202; }, 30s));
  auto events = watch.events();
  BOOST_TEST(events.size() == 202u);
  check_order(events, 0);
  for (const auto& ev : events)
    BOOST_TEST(ev.type == "version");
  auto first = nlohmann::json::parse(events.front().data);
  BOOST_TEST(first["value"] == "v1");
  BOOST_TEST(first["id"] == "doc/1");
  auto last = nlohmann::json::parse(events.back().data);
  BOOST_TEST(last["version"] == 202);
  BOOST_TEST(last["deleted"] == true);
  BOOST_TEST(nlohmann::json::parse(events[150].data)["value"] == "v151");
}

BOOST_AUTO_TEST_CASE(after_starts_after_v_and_last_event_id_resumes) {
  write_versions("doc/2", 5);
  // The entity is past 3: its current record first, `lagged` since it
  // skips 4 (database::watch).
  auto from_3 = first_event("/v1/entities/doc/2/watch?after=3");
  BOOST_TEST(version_of(from_3) == 5u);
  BOOST_TEST(from_3.type == "lagged");
  auto from_4 = first_event("/v1/entities/doc/2/watch?after=4");
  BOOST_TEST(version_of(from_4) == 5u);
  BOOST_TEST(from_4.type == "version");
  // An EventSource reconnecting: the last id it saw, no `after`.
  auto resumed = first_event("/v1/entities/doc/2/watch",
                             {{"Last-Event-ID", "4"}});
  BOOST_TEST(version_of(resumed) == 5u);
  BOOST_TEST(resumed.type == "version");
  // Reconnecting to a URL that has `after`: Last-Event-ID is later.
  auto both = first_event("/v1/entities/doc/2/watch?after=1",
                          {{"Last-Event-ID", "4"}});
  BOOST_TEST(version_of(both) == 5u);
  BOOST_TEST(both.type == "version");
  // After the current version: nothing until the next write.
  sse_client watch{port, "/v1/entities/doc/2/watch?after=5"};
  BOOST_TEST_REQUIRE(open_200(watch));
  BOOST_TEST_REQUIRE(wait_until([&] { return watch.comments() >= 1; }, 30s));
  BOOST_TEST(watch.count() == 0u);
  auto res = cli.Put("/v1/entities/doc/2", {{"If-Match", etag(5)}}, "v6",
                     "text/plain");
  BOOST_TEST_REQUIRE(response_of(res).status == 200);
  BOOST_TEST_REQUIRE(wait_until([&] { return watch.count() >= 1; }, 30s));
  BOOST_TEST(version_of(watch.events()[0]) == 6u);
  BOOST_TEST(watch.events()[0].type == "version");
}

BOOST_AUTO_TEST_CASE(past_max_watch_streams_503_while_gets_still_200) {
  write_versions("doc/3", 1);
  auto a = std::make_unique<sse_client>(port, "/v1/entities/doc/3/watch");
  sse_client b{port, "/v1/entities/doc/3/watch"};
  BOOST_TEST_REQUIRE(open_200(*a));
  BOOST_TEST_REQUIRE(open_200(b));
  auto third = cli.Get("/v1/entities/doc/3/watch");
  BOOST_TEST(response_of(third).status == 503);
  BOOST_TEST(third->get_header_value("Retry-After") == "1");
  BOOST_TEST(problem_of(*third)["code"] == "overloaded");
  auto get = cli.Get("/v1/entities/doc/3");
  BOOST_TEST(response_of(get).status == 200);
  BOOST_TEST(get->body == "v1");
  BOOST_TEST(metric(port, "entact_http_watch_streams") == 2);
  BOOST_TEST(metric(port, "entact_http_watch_streams_refused_total") == 1);
  // A peer that leaves frees its place (noticed at the next keepalive).
  a->disconnect();
  BOOST_TEST_REQUIRE(wait_until(
    [&] { return metric(port, "entact_http_watch_streams") == 1; }, 30s));
  sse_client c{port, "/v1/entities/doc/3/watch"};
  BOOST_TEST(open_200(c));
}

BOOST_AUTO_TEST_CASE(bad_after_and_bad_ids_are_400_and_start_nothing) {
  write_versions("doc/4", 2);
  auto bad = [&](const std::string& target, httplib::Headers headers = {}) {
    auto res = cli.Get(target, headers);
    BOOST_TEST_INFO(target);
    BOOST_TEST(response_of(res).status == 400);
    BOOST_TEST(problem_of(*res)["code"] == "invalid_argument");
  };
  for (auto after : {"abc", "-1", "+1", "1.5", "", "18446744073709551616",
                     "3%20"})
    bad(std::string{"/v1/entities/doc/4/watch?after="} + after);
  bad("/v1/entities/doc/4/watch?after=1&after=2");
  bad("/v1/entities/doc/4/watch?from=1");
  bad("/v1/entities/doc/4/watch", {{"Last-Event-ID", "x"}});
  bad("/v1/entities//watch");
  bad("/v1/entities/a%00b/watch");
  auto long_id = cli.Get("/v1/entities/" + std::string(300, 'x') + "/watch");
  BOOST_TEST(response_of(long_id).status == 413);
  BOOST_TEST(problem_of(*long_id)["code"] == "too_large");
  BOOST_TEST(metric(port, "entact_http_watch_streams") == 0);
  auto get = cli.Get("/v1/entities/doc/4");
  BOOST_TEST(get->get_header_value("ETag") == etag(2));
  // A POST is not a watch.
  auto post = cli.Post("/v1/entities/doc/4/watch", "", "text/plain");
  BOOST_TEST(response_of(post).status == 405);
}

BOOST_AUTO_TEST_CASE(an_id_ending_in_watch_stays_readable_percent_encoded) {
  auto made = cli.Put("/v1/entities/x%2Fwatch", {{"If-None-Match", "*"}},
                      "w", "text/plain");
  BOOST_TEST_REQUIRE(response_of(made).status == 201);
  auto get = cli.Get("/v1/entities/x%2Fwatch");
  BOOST_TEST(response_of(get).status == 200);
  BOOST_TEST(get->body == "w");
  sse_client watch{port, "/v1/entities/x%2Fwatch/watch"};
  BOOST_TEST_REQUIRE(wait_until([&] { return watch.count() >= 1; }, 30s));
  BOOST_TEST(nlohmann::json::parse(watch.events()[0].data)["id"]
             == "x/watch");
}

BOOST_AUTO_TEST_CASE(sigterm_with_open_streams_exits_cleanly) {
  // Keepalives 10 minutes apart: only the listener's stop ends the streams.
  entact::test::server_process quiet{
    {"--http-port=0", "--no-sync", "--http-watch-keepalive-ms=600000"}};
  auto made = entact::test::http_client(quiet.http_port())
                .Put("/v1/entities/doc/5", {{"If-None-Match", "*"}}, "v1",
                     "text/plain");
  BOOST_TEST_REQUIRE(response_of(made).status == 201);
  sse_client a{quiet.http_port(), "/v1/entities/doc/5/watch"};
  sse_client b{quiet.http_port(), "/v1/entities/doc/5/watch?after=1"};
  BOOST_TEST_REQUIRE(wait_until([&] { return a.count() >= 1; }, 30s));
  BOOST_TEST_REQUIRE(open_200(b));
  BOOST_TEST(quiet.stop() == 0);
  BOOST_TEST(wait_until([&] { return a.ended() && b.ended(); }, 30s));
}

BOOST_AUTO_TEST_CASE(entactd_refuses_bad_watch_options) {
  for (auto flag : {"--http-max-watch-streams=8", "--http-threads=1",
                    "--http-watch-keepalive-ms=0", "--watch-queue-events=0",
                    "--max-watches=0", "--watch-queue-bytes=0",
                    "--max-watches-per-connection=0"}) {
    entact::test::temp_dir dir;
    entact::test::child_process proc{
      {ENTACT_ENTACTD_PATH, "--data-dir=" + dir.sub("data"), "--port=0",
       "--http-port=0", flag}};
    BOOST_TEST_INFO(flag);
    BOOST_TEST(proc.wait_exit_for(30s) == 64);
  }
}

BOOST_AUTO_TEST_SUITE_END()

namespace {

/// An embedded engine served with `http` (adjusted by the test), whose
/// own watch queue is larger than anything a test writes: a lag can only
/// come from the gateway's buffer.
struct embedded : entact::test::engine_fixture {
  entact::http_options http;
  std::unique_ptr<entact::http_listener> listener;

  embedded() {
    opts.watch_queue = 1 << 20;
    opts.watch_queue_bytes = size_t{1} << 30;
    reopen();
    http = entact::http_options_for(opts);
    http.watch_keepalive = 50ms;
  }

  uint16_t serve() {
    auto l = entact::serve_http(db(), http);
    if (!l)
      throw std::runtime_error("serve_http: " + to_string(l.error()));
    listener = std::move(*l);
    return listener->port();
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(http_watch_embedded, embedded)

BOOST_AUTO_TEST_CASE(a_reader_that_does_not_read_gets_lagged_not_a_backlog) {
  // The peer takes nothing for a while: its kernel holds 64 KiB, the
  // server's at most 4 MiB (tcp_wmem), the gateway 256 KiB; 16 MiB of
  // versions cannot all wait.
  http.watch_buffer_events = 16;
  http.watch_buffer_bytes = 256 * 1024;
  http.write_timeout = 60s; // the paused peer is slow, not dead
  auto port = serve();
  BOOST_REQUIRE(db().create("big/1", "v1"));
  sse_client watch{port, "/v1/entities/big/1/watch", {}, 64 * 1024};
  BOOST_TEST_REQUIRE(wait_until([&] { return watch.count() >= 1; }, 30s));
  watch.pause();
  std::string value(64 * 1024, 'x');
  for (uint64_t v = 1; v <= 256; ++v)
    BOOST_REQUIRE(db().apply(entact::write_op::update("big/1", v, value)));
  watch.resume();
  auto at_last = [&] {
    auto events = watch.events();
    return !events.empty() && version_of(events.back()) == 257;
  };
  BOOST_TEST_REQUIRE(wait_until(at_last, 60s));
  auto events = watch.events();
  check_order(events, 0);
  auto lagged = std::count_if(events.begin(), events.end(),
                              [](auto& ev) { return ev.type == "lagged"; });
  BOOST_TEST(lagged >= 1);
  BOOST_TEST(events.size() < 257u);
  BOOST_TEST(metric(port, "entact_http_watch_lagged_total") >= 1);
  auto last = nlohmann::json::parse(events.back().data);
  BOOST_TEST(last["value"].get<std::string>().size() == value.size());
}

BOOST_AUTO_TEST_CASE(a_quiet_stream_sends_keepalives_and_a_peer_that_leaves_ends_it) {
  auto port = serve();
  sse_client watch{port, "/v1/entities/none/watch"};
  BOOST_TEST_REQUIRE(open_200(watch));
  BOOST_TEST(wait_until([&] { return watch.comments() >= 2; }, 30s));
  BOOST_TEST(watch.count() == 0u);
  BOOST_TEST(metric(port, "entact_http_watch_streams") == 1);
  watch.disconnect();
  BOOST_TEST(wait_until(
    [&] { return metric(port, "entact_http_watch_streams") == 0; }, 30s));
}

BOOST_AUTO_TEST_CASE(stop_with_open_streams_returns) {
  http.watch_keepalive = 10min; // only stop() can end them
  auto port = serve();
  sse_client a{port, "/v1/entities/s/1/watch"};
  sse_client b{port, "/v1/entities/s/2/watch"};
  BOOST_TEST_REQUIRE(open_200(a));
  BOOST_TEST_REQUIRE(open_200(b));
  std::atomic<bool> stopped{false};
  std::thread stopper{[&] {
    listener->stop();
    stopped = true;
  }};
  auto returned = wait_until([&] { return stopped.load(); }, 30s);
  BOOST_TEST_REQUIRE(returned); // else the joinable thread ends the run
  stopper.join();
  BOOST_TEST(wait_until([&] { return a.ended() && b.ended(); }, 30s));
}

BOOST_AUTO_TEST_CASE(a_stream_ends_after_max_watch_duration_and_resumes) {
  http.max_watch_duration = 300ms;
  auto port = serve();
  BOOST_REQUIRE(db().create("d/1", "v1"));
  std::string last_id;
  {
    sse_client watch{port, "/v1/entities/d/1/watch"};
    BOOST_TEST_REQUIRE(wait_until([&] { return watch.ended(); }, 30s));
    BOOST_TEST(watch.status() == 200);
    BOOST_TEST_REQUIRE(watch.count() == 1u);
    last_id = watch.events()[0].id;
  }
  BOOST_REQUIRE(db().apply(entact::write_op::update("d/1", 1, "v2")));
  sse_client again{port, "/v1/entities/d/1/watch", {{"Last-Event-ID", last_id}}};
  BOOST_TEST_REQUIRE(wait_until([&] { return again.count() >= 1; }, 30s));
  BOOST_TEST(version_of(again.events()[0]) == 2u);
  BOOST_TEST(again.events()[0].type == "version");
}

BOOST_AUTO_TEST_CASE(closing_the_engine_ends_the_stream_with_an_error_event) {
  auto port = serve();
  sse_client watch{port, "/v1/entities/c/1/watch"};
  BOOST_TEST_REQUIRE(open_200(watch));
  eng->close();
  BOOST_TEST_REQUIRE(wait_until([&] { return watch.ended(); }, 30s));
  auto events = watch.events();
  BOOST_TEST_REQUIRE(events.size() == 1u);
  BOOST_TEST(events[0].type == "error");
  auto problem = nlohmann::json::parse(events[0].data);
  BOOST_TEST(problem["code"] == "closed");
  BOOST_TEST(problem["status"] == 503);
  listener->stop();
}

BOOST_AUTO_TEST_CASE(options_that_leave_no_thread_are_refused) {
  auto check = [&](size_t threads, size_t streams, bool ok) {
    auto o = http;
    o.threads = threads;
    o.max_watch_streams = streams;
    auto l = entact::serve_http(db(), o);
    BOOST_TEST_INFO(threads << " threads, " << streams << " streams");
    BOOST_TEST(static_cast<bool>(l) == ok);
    if (!l)
      BOOST_TEST(entact::code_of(l.error()) == entact::errc::invalid_argument);
  };
  check(1, 0, false); // the default, 1 stream, leaves no thread
  check(2, 0, true);
  check(2, 2, false);
  check(8, 7, true);
  auto o = http;
  o.watch_keepalive = 0ms;
  BOOST_TEST(!entact::serve_http(db(), o));
  BOOST_TEST(entact::max_watch_streams_of(http) == 4u);
}

BOOST_AUTO_TEST_SUITE_END()
