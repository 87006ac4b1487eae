// engine_stats are totals the engine keeps itself (actors/ knows nothing of
// Prometheus), so they become metric families directly rather than
// prometheus-cpp Counters, which only count up from their own zero.

#include "engine_metrics.hpp"

#include "entact/errc.hpp"

#include <limits>
#include <string>

namespace entact::http {

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

MetricFamily single(const std::string& name, const std::string& help,
                    MetricType type, double value) {
  ClientMetric m;
  if (type == MetricType::Counter)
    m.counter.value = value;
  else
    m.gauge.value = value;
  return MetricFamily{name, help, type, {m}};
}

MetricFamily counter(const std::string& name, const std::string& help,
                     uint64_t value) {
  return single(name, help, MetricType::Counter, static_cast<double>(value));
}

MetricFamily gauge(const std::string& name, const std::string& help,
                   double value) {
  return single(name, help, MetricType::Gauge, value);
}

/// Prometheus buckets are cumulative; `bucket_counts` are per bucket.
MetricFamily histogram(const std::string& name, const std::string& help,
                       const bucket_counts& b) {
  ClientMetric m;
  uint64_t total = 0;
  for (size_t i = 0; i < b.counts.size(); ++i) {
    total += b.counts[i];
    auto bound = i < b.bounds.size()
                   ? b.bounds[i]
                   : std::numeric_limits<double>::infinity();
    m.histogram.bucket.push_back({total, bound});
  }
  m.histogram.sample_count = total;
  m.histogram.sample_sum = b.sum;
  return MetricFamily{name, help, MetricType::Histogram, {m}};
}

/// One series per `errc` (but `none`): bounded by the enum.
MetricFamily aborted_by_cause(const std::vector<uint64_t>& counts) {
  MetricFamily f{"entact_txn_aborted_total",
                 "Transactions ended without committing, by the error code "
                 "that ended them",
                 MetricType::Counter,
                 {}};
  for (size_t i = 1; i < counts.size(); ++i) {
    ClientMetric m;
    m.label.push_back({"cause", to_string(static_cast<errc>(i))});
    m.counter.value = static_cast<double>(counts[i]);
    f.metric.push_back(std::move(m));
  }
  return f;
}

} // namespace

std::vector<MetricFamily>
engine_families(const caf::expected<engine_stats>& stats) {
  std::vector<MetricFamily> result;
  result.push_back(gauge("entact_engine_up",
                         "1 if the engine answered this scrape's stats "
                         "request in time, else 0 (and no engine metrics)",
                         stats ? 1 : 0));
  if (!stats)
    return result;
  const auto& s = *stats;
  result.push_back(gauge("entact_resident_entities",
                         "Entity actors alive now", double(s.resident)));
  result.push_back(counter("entact_entity_activations_total",
                           "Entity actors spawned", s.activations));
  result.push_back(counter("entact_entity_passivations_total",
                           "Entity actors stopped as idle or over the "
                           "resident cap",
                           s.passivations));
  result.push_back(counter("entact_modifications_total",
                           "Modifications (modify) acknowledged as committed",
                           s.modifications));
  result.push_back(counter("entact_modify_writes_total",
                           "Store writes that carried the modifications",
                           s.modify_writes));
  result.push_back(counter("entact_commit_groups_total",
                           "Group commits (one RocksDB commit and WAL sync "
                           "each)",
                           s.commit_groups));
  result.push_back(counter("entact_batches_committed_total",
                           "Atomic batches (single writes, batches, "
                           "transaction commits) committed",
                           s.batches_committed));
  result.push_back(counter("entact_writes_committed_total",
                           "Entity writes in the committed batches",
                           s.writes_committed));
  result.push_back(counter("entact_batches_refused_total",
                           "Batches refused by the version rule: conflicts, "
                           "writes to absent entities, version overflow",
                           s.batches_refused));
  result.push_back(counter("entact_commit_retries_total",
                           "Group commits re-run after RocksDB saw a write "
                           "from outside",
                           s.commit_retries));
  result.push_back(gauge("entact_store_partitions",
                         "Partitions of the store (each its own WAL and "
                         "committer)",
                         double(s.partitions)));
  result.push_back(counter("entact_spanning_batches_total",
                           "Batches whose entities live in several "
                           "partitions (two group commits each)",
                           s.spanning_batches));
  result.push_back(counter("entact_overload_refusals_total",
                           "Calls refused as overloaded (over "
                           "max_calls_in_flight, or a full entity queue)",
                           s.overloaded));
  result.push_back(gauge("entact_calls_in_flight",
                         "Calls from threads (C++ API, HTTP) in flight now",
                         double(s.calls_in_flight)));
  result.push_back(counter("entact_txn_begun_total",
                           "Pessimistic transactions begun (each attempt "
                           "of transact counts)",
                           s.txn_begun));
  result.push_back(counter("entact_txn_committed_total",
                           "Pessimistic transactions committed",
                           s.txn_committed));
  result.push_back(aborted_by_cause(s.txn_aborted));
  result.push_back(histogram("entact_commit_group_size_batches",
                             "Batches per group commit", s.group_batches));
  result.push_back(histogram("entact_commit_group_duration_seconds",
                             "Seconds per group commit, from its reads to "
                             "its durable commit (WAL sync included)",
                             s.commit_seconds));
  return result;
}

} // namespace entact::http
