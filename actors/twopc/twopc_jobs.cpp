#include "twopc/twopc_jobs.hpp"

#include <algorithm>
#include <utility>

#include <caf/typed_event_based_actor.hpp>

#include "entact/errc.hpp"
#include "entact/storage/store.hpp"

namespace entact::detail {

namespace {

job_result failed(caf::error err) {
  job_result r;
  r.err = std::move(err);
  return r;
}

job_result decided(twopc_outcome x, bool ended = false) {
  job_result r;
  r.outcome = x;
  r.ended = ended;
  return r;
}

twopc_outcome outcome_of(storage::decision d) {
  switch (d) {
    case storage::decision::commit:
      return twopc_outcome::commit;
    case storage::decision::abort:
      return twopc_outcome::abort;
    default:
      return twopc_outcome::undecided;
  }
}

/// A decision record names participants; presumed abort of a name never
/// seen here knows none.
std::vector<std::string> or_unknown(std::vector<std::string> names) {
  if (names.empty())
    names.emplace_back("unknown");
  return names;
}

} // namespace

runner_actor spawn_runner(caf::actor_system& sys) {
  // The argument is unused: CAF 0.17.6 dereferences a null argument tuple
  // when a function actor is spawned without arguments (UBSan: "reference
  // binding to null pointer" in init_fun_factory.hpp), so give it one.
  return sys.spawn<caf::detached>(
    [](bool) -> runner_actor::behavior_type {
      return {[](runner_job& job) { return job.run(); }};
    },
    true);
}

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
    .count();
}

job_result prepare_job(storage::store& st, storage::prepare_request req,
                       bool at_holder) {
  if (at_holder) {
    auto d = st.decision_of(req.txn);
    if (!d)
      return failed(std::move(d.error()));
    if (*d != storage::decision::none)
      return failed(make_error(errc::invalid_argument,
                               "transaction " + req.txn + " is decided ("
                                 + to_string(*d) + "): it may not prepare"));
  }
  auto p = st.prepare(std::move(req));
  if (!p)
    return failed(std::move(p.error()));
  job_result r;
  r.prepared = std::move(*p);
  return r;
}

job_result commit_job(storage::store& st, const std::string& name,
                      bool as_decision) {
  auto recs = as_decision ? st.commit_prepared_as_decision(name)
                          : st.commit_prepared(name);
  if (!recs)
    return failed(std::move(recs.error()));
  auto r = decided(twopc_outcome::commit, true);
  r.records = std::move(*recs);
  return r;
}

job_result abort_job(storage::store& st, const std::string& name,
                     bool at_holder, std::vector<std::string> participants) {
  if (at_holder)
    if (auto err = st.record_decision(name, storage::decision::abort,
                                      or_unknown(std::move(participants))))
      return failed(std::move(err));
  auto err = st.abort_prepared(name);
  if (code_of(err) == errc::unknown_transaction)
    return decided(twopc_outcome::abort, false);
  if (err)
    return failed(std::move(err));
  return decided(twopc_outcome::abort, true);
}

job_result decide_job(storage::store& st, const std::string& name,
                      std::chrono::milliseconds wait) {
  auto d = st.decision_of(name);
  if (!d)
    return failed(std::move(d.error()));
  if (*d != storage::decision::none) {
    // An abort recorded just before a crash may have left the prepared
    // record behind: finish it.
    if (*d == storage::decision::abort)
      return abort_job(st, name, false, {});
    return decided(outcome_of(*d));
  }
  auto all = st.prepared();
  auto i = std::find_if(all.begin(), all.end(),
                        [&](auto& p) { return p.txn == name; });
  if (i == all.end()) {
    // Presumed abort: recorded, so that a late prepare here is refused.
    if (auto err = st.record_decision(name, storage::decision::abort,
                                      or_unknown({})))
      return failed(std::move(err));
    return decided(twopc_outcome::abort);
  }
  if (now_ms() - i->created_ms < wait.count())
    return decided(twopc_outcome::undecided);
  return abort_job(st, name, true, i->participants);
}

job_result forget_job(storage::store& st, const std::string& name) {
  auto err = st.forget_decision(name);
  if (err && code_of(err) != errc::unknown_transaction)
    return failed(std::move(err));
  job_result r;
  r.found = !err;
  return r;
}

job_result decisions_job(const storage::store& st, const std::string& after,
                         size_t limit) {
  auto page = st.decisions(after, limit);
  if (!page)
    return failed(std::move(page.error()));
  job_result r;
  r.decisions = std::move(*page);
  return r;
}

job_result decision_count_job(const storage::store& st) {
  auto n = st.decision_count();
  if (!n)
    return failed(std::move(n.error()));
  job_result r;
  r.count = *n;
  return r;
}

} // namespace entact::detail
