#include "workloads/w5_memory.hpp"

#include <algorithm>
#include <atomic>
#include <iostream>
#include <vector>

#include <entact/errc.hpp>

#include "systems/drivers.hpp"
#include "systems/entact_setup.hpp"
#include "harness/format.hpp"

namespace bench {

namespace {

const std::string w5 = "W5"; // in every row and check

/// (a) N resident entities, each holding its record: RSS per entity.
void rss_per_resident(const config& cfg, report& rep) {
  auto threads = cfg.w5_threads;
  temp_dir dir{cfg.dir, "entact-bench"};
  dataset data("w5", cfg.w5_resident, cfg.value_bytes);
  auto t0 = clock::now();
  preload_entact(dir.path() + "/db", data);
  std::cout << "  preloaded " << data.size() << " entities in "
            << fmt(seconds_since(t0), 1) << " s" << std::endl;
  auto eng = open_engine(dir.path() + "/db", false, data.size() + 1000);
  // Read everything once straight from storage first, so RocksDB's
  // caches are as warm before as after and the delta is the actors'.
  parallel_for(threads, data.size(),
               [&](size_t i) { (void) eng->read(data.ids[i]); });
  trim_heap();
  auto rss0 = rss_bytes();
  std::atomic<size_t> bad{0};
  t0 = clock::now();
  parallel_for(threads, data.size(), [&](size_t i) {
    auto r = eng->get(data.ids[i]);
    if (!r || r->version != 1 || r->value.size() != cfg.value_bytes)
      ++bad;
  });
  auto secs = seconds_since(t0);
  auto stats = eng->stats();
  trim_heap();
  auto rss1 = rss_bytes();
  double per = (static_cast<double>(rss1) - static_cast<double>(rss0))
               / static_cast<double>(data.size());
  auto resident = stats ? stats->resident : 0;
  std::cout << "  activated " << data.size() << " in " << fmt(secs, 1)
            << " s (" << fmt_rate(static_cast<double>(data.size()) / secs)
            << "/s); RSS " << fmt_bytes(static_cast<double>(rss0)) << " -> "
            << fmt_bytes(static_cast<double>(rss1)) << ": "
            << fmt_bytes(per) << " per resident entity" << std::endl;
  row x;
  x.workload = w5;
  x.system = "entact resident";
  x.entact = x.primary = true;
  x.metrics = {{"entities", static_cast<double>(data.size())},
               {"resident", static_cast<double>(resident)},
               {"rss_before_bytes", static_cast<double>(rss0)},
               {"rss_after_bytes", static_cast<double>(rss1)},
               {"bytes_per_resident_entity", per},
               {"activations_per_s",
                static_cast<double>(data.size()) / secs}};
  x.note = "activated by get() from " + std::to_string(threads)
           + " threads, resident_cap above N; RSS after a storage read "
             "pass (warm RocksDB caches) vs after activation";
  rep.add(std::move(x));
  rep.verify(w5 + " resident: every get saw its record, all resident",
             bad == 0 && resident >= data.size(),
             std::to_string(bad.load()) + " bad reads, resident "
               + std::to_string(resident));
  t0 = clock::now();
  eng.reset();
  std::cout << "  closed in " << fmt(seconds_since(t0), 1) << " s"
            << std::endl;
}

/// (b) Many more entities touched than the cap: RSS must stay bounded.
void rss_under_cap(const config& cfg, report& rep) {
  auto threads = cfg.w5_threads;
  temp_dir dir{cfg.dir, "entact-bench"};
  auto eng = open_engine(dir.path() + "/db", false, cfg.w5_cap);
  trim_heap();
  auto rss_start = rss_bytes();
  uint64_t rss_at_cap = 0, rss_max = 0, rss_end = 0;
  std::atomic<size_t> bad{0};
  auto steps = size_t{10};
  auto t0 = clock::now();
  size_t done = 0;
  auto touch = [&](size_t upto) {
    parallel_for(threads, upto - done, [&](size_t j) {
      // Absent ids: each still activates an actor (it loads the absent
      // record and answers not_found), then is passivated past the cap.
      auto r = eng->get("w5t/" + std::to_string(done + j));
      if (r || entact::code_of(r.error()) != entact::errc::not_found)
        ++bad;
    });
    done = upto;
    trim_heap();
    auto rss = rss_bytes();
    rss_max = std::max(rss_max, rss);
    return rss;
  };
  rss_at_cap = touch(std::min(cfg.w5_cap, cfg.w5_touch));
  std::vector<std::string> samples;
  for (size_t i = 1; i <= steps && done < cfg.w5_touch; ++i) {
    auto upto = std::max(done, cfg.w5_touch * i / steps);
    rss_end = touch(upto);
    samples.push_back(fmt(static_cast<double>(rss_end) / (1 << 20), 0));
  }
  auto secs = seconds_since(t0);
  auto stats = eng->stats();
  auto resident = stats ? stats->resident : 0;
  auto passivations = stats ? stats->passivations : 0;
  double growth = rss_at_cap > rss_start
                    ? (static_cast<double>(rss_end)
                       - static_cast<double>(rss_at_cap))
                        / (static_cast<double>(rss_at_cap)
                           - static_cast<double>(rss_start))
                    : 0;
  std::cout << "  touched " << cfg.w5_touch << " in " << fmt(secs, 1)
            << " s; RSS start " << fmt_bytes(rss_start) << ", at cap "
            << fmt_bytes(rss_at_cap) << ", end " << fmt_bytes(rss_end)
            << ", max " << fmt_bytes(rss_max) << "; resident " << resident
            << ", passivations " << passivations << std::endl;
  std::string series;
  for (auto& s : samples)
    series += (series.empty() ? "" : " ") + s;
  std::cout << "  RSS MiB every " << cfg.w5_touch / steps
            << " touches: " << series << std::endl;
  row x;
  x.workload = w5;
  x.system = "entact capped";
  x.entact = true;
  x.metrics = {{"touched", static_cast<double>(cfg.w5_touch)},
               {"resident_cap", static_cast<double>(cfg.w5_cap)},
               {"resident_at_end", static_cast<double>(resident)},
               {"passivations", static_cast<double>(passivations)},
               {"rss_start_bytes", static_cast<double>(rss_start)},
               {"rss_at_cap_bytes", static_cast<double>(rss_at_cap)},
               {"rss_end_bytes", static_cast<double>(rss_end)},
               {"rss_max_bytes", static_cast<double>(rss_max)},
               {"growth_after_cap_vs_first_cap", growth},
               {"touches_per_s", static_cast<double>(cfg.w5_touch) / secs}};
  x.note = "get() of absent ids from " + std::to_string(threads)
           + " threads; RSS MiB per tenth: " + series;
  rep.add(std::move(x));
  rep.verify(w5 + " capped: every touch answered not_found, cap held",
             bad == 0 && resident <= cfg.w5_cap + cfg.w5_cap / 10,
             std::to_string(bad.load()) + " unexpected answers, resident "
               + std::to_string(resident) + " (cap "
               + std::to_string(cfg.w5_cap) + ")");
}

} // namespace

void run_memory(const config& cfg, report& rep) {
  rep.begin(w5, "memory: RSS per resident entity at "
                 + std::to_string(cfg.w5_resident)
                 + " resident; RSS while touching "
                 + std::to_string(cfg.w5_touch)
                 + " entities with resident_cap "
                 + std::to_string(cfg.w5_cap));
  rss_per_resident(cfg, rep);
  rss_under_cap(cfg, rep);
}

} // namespace bench
