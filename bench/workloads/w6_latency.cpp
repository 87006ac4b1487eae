#include "workloads/w6_latency.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <iostream>
#include <mutex>
#include <thread>
#include <vector>

#include <entact/conflict.hpp>

#include "systems/entact_setup.hpp"
#include "harness/format.hpp"
#include "systems/versioned_updates.hpp"
#include "workloads/w1_w2_updates.hpp"

namespace bench {

namespace {

/// W1's entact peak with `np` partitions (blocking or async, not the
/// store alone) in `rep`, 0 if none ran.
double w1_peak(const report& rep, size_t np) {
  double peak = 0;
  for (const auto& x : rep.rows)
    if (x.workload == "W1" && x.entact && x.partitions == np
        && x.system != partitioned("entact store only", np))
      peak = std::max(peak, x.r.ops_per_s());
  return peak;
}

/// The offered rate for `np` partitions (half of W1's peak with as many),
/// and the words that say where it came from.
double offered_rate(const config& cfg, const report& rep, std::string& basis,
                    size_t np) {
  basis = "--w6-rate";
  if (cfg.w6_rate > 0)
    return cfg.w6_rate;
  auto which = np == 1 ? std::string{"W1's entact peak"}
                       : "W1's entact peak with " + std::to_string(np)
                           + " partitions";
  double peak = w1_peak(rep, np);
  if (peak <= 0) {
    std::cout << "\n(W6 needs " << which
              << ": measuring entact blocking first)" << std::endl;
    report probe;
    config c = cfg;
    c.systems = {"entact"};
    c.partitions = {np};
    run_updates(c, probe, "W1", true);
    peak = w1_peak(probe, np);
  }
  basis = "half of " + which + " " + fmt(peak, 0) + "/s";
  return std::max(1.0, peak / 2);
}

/// What an open-loop run saw, per update in the order they were sent.
/// The callbacks share it, so it lives in the caller until the run is
/// checked, well past the last answer.
struct paced_run {
  explicit paced_run(size_t total) : lat(total, 0), result(total, 0) {
  }

  std::vector<uint32_t> lat;   // ns from the intended send time
  std::vector<uint8_t> result; // 1 ok, 2 conflict, 3 error, 4 overloaded
  size_t max_in_flight = 0;
  double offered_secs = 0; // until the last send
  double all_secs = 0;     // until the last answer
  std::string first_error;
  std::atomic<size_t> completed{0};
  std::atomic<size_t> in_flight{0};
  std::mutex mtx;
  std::condition_variable cv;
  std::mutex err_mtx;
};

/// Sends p.lat.size() updates with apply_async from one thread, one every
/// 1/rate s, and waits for every answer.
void send_paced(entact::database& eng, const dataset& data,
                known_versions& kv, double rate, size_t value_bytes,
                paced_run& p) {
  auto total = p.lat.size();
  std::mt19937_64 rng{42};
  auto period = std::chrono::duration<double>(1.0 / rate);
  auto t0 = clock::now();
  for (size_t i = 0; i < total; ++i) {
    // Latency counts from the intended send time, so falling behind
    // (coordinated omission) shows up as latency, not as a lower rate.
    auto due = t0 + std::chrono::duration_cast<clock::duration>(period * i);
    std::this_thread::sleep_until(due);
    auto k = data.pick(rng);
    p.max_in_flight = std::max(p.max_in_flight, ++p.in_flight);
    eng.apply_async(
      entact::write_op::update(data.ids[k], kv.get(k),
                               make_value(value_bytes, i)),
      [&, i, k, due, total](caf::expected<entact::record> r) {
        p.lat[i] = static_cast<uint32_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(clock::now()
                                                               - due)
            .count());
        if (r) {
          kv.learn(k, r->version);
          p.result[i] = 1;
        } else if (auto c = entact::conflict_of(r.error())) {
          kv.learn(k, c->stored.version);
          p.result[i] = 2;
        } else if (entact::code_of(r.error()) == entact::errc::overloaded) {
          p.result[i] = 4; // refused by admission control, not applied
        } else {
          p.result[i] = 3;
          std::lock_guard<std::mutex> guard{p.err_mtx};
          if (p.first_error.empty())
            p.first_error = caf::to_string(r.error());
        }
        --p.in_flight;
        if (++p.completed == total) {
          std::lock_guard<std::mutex> guard{p.mtx};
          p.cv.notify_all();
        }
      });
  }
  p.offered_secs = seconds_since(t0);
  {
    std::unique_lock<std::mutex> guard{p.mtx};
    p.cv.wait(guard, [&] { return p.completed == total; });
  }
  p.all_secs = seconds_since(t0);
}

/// The figures of the updates sent after the first `warm` (latency of
/// the accepted ones: refusals by admission control are counted in
/// `gave_up`); ok_total counts every success, for the version check.
run_result summarize_paced(const paced_run& p, size_t warm, double seconds) {
  run_result r;
  std::vector<uint32_t> measured;
  for (size_t i = warm; i < p.result.size(); ++i)
    if (p.result[i] != 4)
      measured.push_back(p.lat[i]);
  r.lat = percentiles_of(std::move(measured));
  for (size_t i = warm; i < p.result.size(); ++i) {
    r.ok += p.result[i] == 1;
    r.conflicts += p.result[i] == 2;
    r.errors += p.result[i] == 3;
    r.gave_up += p.result[i] == 4;
  }
  for (auto x : p.result)
    r.ok_total += x == 1;
  r.seconds = seconds;
  r.first_error = p.first_error;
  return r;
}

/// One open-loop run at `rate` on a fresh engine with `np` partitions,
/// its row and its checks.
void paced_latency(const config& cfg, report& rep, const std::string& w,
                   const dataset& data, double rate, bool overload,
                   size_t np) {
  preloaded_engine eng{cfg, data, true, {}, np};
  known_versions kv{data.size()};
  auto total = static_cast<size_t>(
    rate * (cfg.w6_seconds + cfg.timing.warmup.count()));
  auto warm = static_cast<size_t>(rate * cfg.timing.warmup.count());
  paced_run p{total};
  send_paced(*eng, data, kv, rate, cfg.value_bytes, p);
  auto r = summarize_paced(p, warm, cfg.w6_seconds);
  auto label = partitioned("entact open-loop", np);
  print_run(label, r);
  row x{w, partitioned("entact", np), true, np == 1, r, {}, ""};
  x.partitions = np;
  x.metrics = {{"offered_per_s", rate},
               {"achieved_send_rate_per_s",
                static_cast<double>(total) / p.offered_secs},
               {"completion_seconds", p.all_secs},
               {"max_in_flight", static_cast<double>(p.max_in_flight)},
               {"overloaded", static_cast<double>(r.gave_up)}};
  x.note = "one pacing thread, apply_async, latency from the intended send "
           "time; max in flight "
           + std::to_string(p.max_in_flight);
  if (np > 1)
    x.note += "; " + fmt(rate, 0) + "/s offered";
  if (overload)
    x.note += "; " + std::to_string(r.gave_up)
              + " answered overloaded at once (goodput = ops/s, p99 of the "
                "accepted)";
  rep.add(std::move(x));
  auto name = np == 1 ? std::string{"entact"} : label;
  verify_versions(rep, w + " " + name + ": no lost or invented update", data,
                  kv, r.ok_total, *eng);
  rep.verify_no_errors(w + " " + name + ": no errors", {r});
}

} // namespace

void run_latency(const config& cfg, report& rep, bool overload) {
  const std::string w = overload ? "W6b" : "W6";
  std::string basis;
  double rate = offered_rate(cfg, rep, basis, 1);
  if (overload) {
    // Four times half of the peak: twice what the engine can take.
    rate *= 4;
    basis = "2x W1's peak: 4 x " + basis;
  }
  rep.begin(w, "latency of W1 (sync on, uniform keys, "
                 + std::to_string(cfg.entities) + " entities) at "
                 + fmt(rate, 0) + " updates/s offered open-loop (" + basis
                 + ")");
  dataset data("w6", cfg.entities, cfg.value_bytes);
  paced_latency(cfg, rep, w, data, rate, overload, 1);
  if (overload) // W6b stays one partition's: the overload, not the layout
    return;
  for (auto np : cfg.partitions) {
    if (np == 1)
      continue;
    rate = offered_rate(cfg, rep, basis, np);
    std::cout << "  (" << np << " partitions: " << fmt(rate, 0)
              << " updates/s offered, " << basis << ")" << std::endl;
    paced_latency(cfg, rep, w, data, rate, overload, np);
  }
}

} // namespace bench
