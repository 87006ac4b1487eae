#include "systems/versioned_updates.hpp"

#include <entact/conflict.hpp>

namespace bench {

outcome judge(const caf::expected<entact::record>& r, known_versions& kv,
              size_t k, slot& s) {
  if (r) {
    kv.learn(k, r->version);
    return outcome::ok;
  }
  if (auto c = entact::conflict_of(r.error())) {
    kv.learn(k, c->stored.version);
    return outcome::conflict;
  }
  if (s.first_error.empty())
    s.first_error = caf::to_string(r.error());
  return outcome::error;
}

void verify_versions(report& rep, const std::string& name, const dataset& data,
                     const known_versions& kv, uint64_t acknowledged,
                     entact::database& db) {
  verify_versions_with(rep, name, data, kv, acknowledged,
                       [&](const std::string& id) {
                         auto x = db.read(id);
                         return x ? x->version : 0;
                       });
}

run_result run_blocking_updates(entact::database& db, const dataset& data,
                                known_versions& kv, size_t threads,
                                run_timing timing, size_t value_bytes) {
  return run_closed(threads, timing, [&](slot& s) {
    auto k = data.pick(s.rng);
    auto r = db.update(data.ids[k], kv.get(k),
                       make_value(value_bytes, s.ok_total));
    return judge(r, kv, k, s);
  });
}

run_result run_pipelined(entact::database& db, const dataset& data,
                         known_versions& kv, size_t in_flight,
                         run_timing timing, size_t value_bytes) {
  chain_runner chains{in_flight, [&](slot& s, chain_runner::done_fn done) {
                        auto k = data.pick(s.rng);
                        db.apply_async(
                          entact::write_op::update(data.ids[k], kv.get(k),
                                                   make_value(value_bytes,
                                                              s.ok_total)),
                          [&kv, k, &s, done](caf::expected<entact::record> r) {
                            done(judge(r, kv, k, s));
                          });
                      }};
  return chains.run(timing);
}

} // namespace bench
