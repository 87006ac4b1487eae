#pragma once

// Versioned updates of uniform keys through entact::database, the
// operation W1, W2, W6 and W7 measure: each client updates an entity at the
// version it last saw, and learns the stored one from every answer. What a
// run acknowledged is checked against what was stored.

#include <cstdint>
#include <string>

#include <caf/expected.hpp>
#include <entact/database.hpp>

#include "systems/baselines.hpp"
#include "systems/drivers.hpp"
#include "harness/report.hpp"

namespace bench {

/// Outcome of a versioned update, learning the version it reveals: the
/// new one on success, the stored one on a conflict. Keeps the first
/// unexpected error in `s`.
outcome judge(const caf::expected<entact::record>& r, known_versions& kv,
              size_t k, slot& s);

/// Every acknowledged update raised its entity's version by exactly one, so
/// the versions stored must add up to the successes seen by the clients,
/// and each must equal the newest version a client saw. `read_version(id)`
/// reads the stored version (0 if absent).
template <class ReadVersion>
void verify_versions_with(report& rep, const std::string& name,
                          const dataset& data, const known_versions& kv,
                          uint64_t acknowledged, ReadVersion&& read_version) {
  uint64_t sum = 0;
  size_t mismatches = 0;
  for (size_t k = 0; k < data.size(); ++k) {
    auto v = read_version(data.ids[k]);
    sum += v - 1;
    if (v != kv.get(k))
      ++mismatches;
  }
  rep.verify(name, sum == acknowledged && mismatches == 0,
             "acknowledged " + std::to_string(acknowledged)
               + ", stored version increments " + std::to_string(sum)
               + ", entities whose stored version differs from the newest "
                 "acknowledged "
               + std::to_string(mismatches));
}

/// verify_versions_with, reading through `db`.
void verify_versions(report& rep, const std::string& name, const dataset& data,
                     const known_versions& kv, uint64_t acknowledged,
                     entact::database& db);

/// `threads` clients, each a thread making blocking update() calls.
run_result run_blocking_updates(entact::database& db, const dataset& data,
                                known_versions& kv, size_t threads,
                                run_timing timing, size_t value_bytes);

/// Pipelined updates: `in_flight` chains of apply_async, each issuing its
/// next update from the previous one's callback (no client threads).
run_result run_pipelined(entact::database& db, const dataset& data,
                         known_versions& kv, size_t in_flight,
                         run_timing timing, size_t value_bytes);

} // namespace bench
