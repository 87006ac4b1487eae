#include "workloads/w7_remote.hpp"

#include <iostream>
#include <stdexcept>

#include <entact/client.hpp>

#include "systems/entact_setup.hpp"
#include "harness/format.hpp"
#include "systems/server_child.hpp"
#include "systems/versioned_updates.hpp"

namespace bench {

namespace {

/// W7b's figures of one side.
struct round_trips {
  run_result get;
  run_result update;
};

/// Round trips from one thread: blocking get().
run_result run_get_round_trips(entact::database& db, const dataset& data,
                               run_timing timing) {
  return run_closed(1, timing, [&](slot& s) {
    auto k = data.pick(s.rng);
    auto r = db.get(data.ids[k]);
    if (r)
      return outcome::ok;
    if (s.first_error.empty())
      s.first_error = caf::to_string(r.error());
    return outcome::error;
  });
}

/// What W7 measures on each side, `side` being "in-process" or "remote":
/// W7a's pipelined updates (a row), then W7b's round trips (returned, for
/// rows beside the other side's), each checked.
round_trips measure_side(const config& cfg, report& rep,
                         entact::database& db, const dataset& data,
                         const std::string& side, bool primary,
                         const std::string& note) {
  auto n = cfg.w7_in_flight;
  auto vb = cfg.value_bytes;
  known_versions kv{data.size()};
  auto r = run_pipelined(db, data, kv, n, cfg.timing, vb);
  print_run(side + " pipelined", r);
  rep.add({"W7a", side, true, primary, r, {}, std::to_string(n) + note});
  round_trips rt;
  rt.get = run_get_round_trips(db, data, cfg.timing);
  print_run(side + " get round trip", rt.get);
  rt.update = run_blocking_updates(db, data, kv, 1, cfg.timing, vb);
  print_run(side + " update round trip", rt.update);
  verify_versions(rep, "W7 " + side + ": no lost or invented update", data,
                  kv, r.ok_total + rt.update.ok_total, db);
  rep.verify_no_errors("W7 " + side + ": no errors", {r, rt.get, rt.update});
  return rt;
}

/// entactd started on a copy of `data`, measured through entact::client,
/// then stopped by SIGTERM: it must exit 0.
round_trips measure_remote(const config& cfg, report& rep,
                           const dataset& data) {
  temp_dir dir{cfg.dir, "entactd-bench"};
  preload_entact(dir.path() + "/data", data);
  auto t0 = clock::now();
  server_child server{dir.path(), dir.path() + "/data"};
  entact::client_options opts;
  opts.port = server.port();
  auto cl = entact::client::connect(opts);
  if (!cl)
    throw std::runtime_error("connect: " + caf::to_string(cl.error()) + "; "
                             + server.log_tail());
  auto& db = **cl;
  std::cout << "  (entactd on port " << server.port() << ", connected in "
            << fmt(seconds_since(t0), 2) << " s)" << std::endl;
  activate_all(db, data, !cfg.cold);
  auto rt = measure_side(cfg, rep, db, data, "remote", true,
                         " apply_async chains through entact::client to "
                         "entactd --no-sync on 127.0.0.1");
  db.close();
  cl->reset();
  t0 = clock::now();
  auto code = server.stop(std::chrono::seconds{30});
  std::cout << "  (entactd stopped by SIGTERM in "
            << fmt(seconds_since(t0), 2) << " s, exit code " << code << ")"
            << std::endl;
  rep.verify("W7 entactd: exits 0 on SIGTERM", code == 0,
             "exit code " + std::to_string(code)
               + (code == 0 ? "" : "; " + server.log_tail()));
  return rt;
}

} // namespace

void run_remote(const config& cfg, report& rep) {
  rep.workloads.push_back(
    {"W7a", "remote pipelined updates (sync off): entactd --no-sync over "
            "loopback vs an in-process engine, "
              + std::to_string(cfg.w7_in_flight) + " apply_async in flight, "
              + std::to_string(cfg.w7_entities) + " entities, uniform keys"});
  rep.workloads.push_back(
    {"W7b", "remote round trip (sync off): one thread, blocking get() or "
            "update(), remote vs in-process (ops/s = 1 / mean latency)"});
  // One heading for both: they run together.
  std::cout << "\n== W7 remote: " << rep.workloads[rep.workloads.size() - 2]
                                       .title
            << "; " << rep.workloads.back().title << std::endl;
  dataset data("w7", cfg.w7_entities, cfg.value_bytes);
  round_trips in;
  { // in-process first: the same dataset, its own directory
    preloaded_engine eng{cfg, data, false};
    in = measure_side(cfg, rep, *eng, data, "in-process", false,
                      " apply_async chains on an embedded engine (sync off)");
  }
  auto re = measure_remote(cfg, rep, data);
  auto ratio = [](double a, double b) {
    return b > 0 ? " (" + fmt(a / b, 2) + "x in-process)" : std::string{};
  };
  auto add_w7b = [&](const std::string& system, const run_result& r,
                     const std::string& note) {
    rep.add({"W7b", system, true, false, r, {}, note});
  };
  add_w7b("remote get", re.get,
          "entact::client::get, p50" + ratio(re.get.lat.p50, in.get.lat.p50));
  add_w7b("remote update", re.update,
          "entact::client::update, p50"
            + ratio(re.update.lat.p50, in.update.lat.p50));
  add_w7b("in-process get", in.get, "engine::get");
  add_w7b("in-process update", in.update, "engine::update");
}

} // namespace bench
