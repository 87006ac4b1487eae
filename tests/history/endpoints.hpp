#pragma once

// The engines the history tests record against: an embedded engine that
// can be closed and reopened between phases.

#include <chrono>
#include <memory>
#include <string>

#include "entact/engine.hpp"
#include "history/campaign.hpp"
#include "history/workload.hpp"
#include "support/engine_fixture.hpp"

namespace entact::test::history {

/// An embedded engine on a temporary directory; `restart` closes and
/// reopens it (only while no worker runs).
class engine_endpoint : public endpoint, public engine_fixture {
public:
  explicit engine_endpoint(const engine_options& tuning) {
    auto path = opts.path;
    opts = tuning;
    opts.path = path;
    reopen();
  }

  database& db(int) override {
    return *eng;
  }

  void restart() {
    reopen();
  }
};

/// Options of an embedded engine under a history test: no fsync (the
/// order of what is read, not durability, is under test); with a
/// `resident_cap`, passivation pressure too: at most that many entity
/// actors, and idle ones passivated after 3 ms.
inline engine_options history_options(size_t resident_cap = 0) {
  engine_options opts;
  opts.sync = false;
  if (resident_cap > 0) {
    opts.resident_cap = resident_cap;
    opts.idle_timeout = std::chrono::milliseconds{3};
  }
  return opts;
}

/// `rounds` rounds of `w` against an embedded engine opened with `tuning`
/// (its path aside), each of `phases` phases with a close and reopen of
/// the engine between them.
inline campaign record_embedded(const std::string& name,
                                const engine_options& tuning,
                                const workload& w, int rounds,
                                int phases = 1) {
  engine_endpoint ep{tuning};
  campaign c;
  c.name = name;
  round_hooks hooks;
  hooks.phases = phases;
  hooks.between = [&](int) { ep.restart(); };
  for (int r = 0; r < rounds; ++r)
    c.add(run_round(ep, w, r, hooks, static_cast<unsigned>(r + 1)));
  return c;
}

} // namespace entact::test::history
