#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/error.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "entact/record.hpp"
#include "entact/storage/prepared.hpp"
#include "entact/twopc.hpp"

namespace entact::storage {
class store;
} // namespace entact::storage

namespace entact::detail {

// The store's 2PC calls, each one synced write on the committer thread:
// they block, so they run as jobs on detached actors (`spawn_runner`),
// never on the threads of the entity or coordinator actors. A runner runs
// its jobs one at a time in the order they came, so the jobs of one
// prepared table are atomic relative to each other: a decision query and
// a prepare of the same name never interleave.

/// What a job found.
struct job_result {
  caf::error err;
  /// The records a commit wrote.
  std::vector<record> records;
  /// What a prepare stored.
  storage::prepared_txn prepared;
  twopc_outcome outcome = twopc_outcome::undecided;
  /// The job ended a prepared transaction in the store (commit or abort):
  /// its locks and held ids are to be released.
  bool ended = false;
  /// A forget found a decision to delete.
  bool found = false;
  /// A page of decision records (`decisions_job`), or how many the store
  /// keeps (`decision_count_job`).
  std::vector<storage::decision_info> decisions;
  uint64_t count = 0;
};

struct runner_job {
  std::function<job_result()> run;
};

/// A detached actor that runs jobs.
using runner_actor
  = caf::typed_actor<caf::replies_to<runner_job>::with<job_result>>;

runner_actor spawn_runner(caf::actor_system& sys);

/// At the decision holder (`at_holder`), a name already decided is
/// refused (`invalid_argument`): presumed abort may have recorded it.
job_result prepare_job(storage::store& st, storage::prepare_request req,
                       bool at_holder);

job_result commit_job(storage::store& st, const std::string& name,
                      bool as_decision);

/// At the decision holder, records `abort` (with `participants`) before
/// discarding. A name not prepared is no error (`ended` false).
job_result abort_job(storage::store& st, const std::string& name,
                     bool at_holder, std::vector<std::string> participants);

/// The decision holder's answer under presumed abort (see
/// `coordinator_api`'s `decision_atom`): a prepared transaction older than
/// `wait` is aborted (`ended`).
job_result decide_job(storage::store& st, const std::string& name,
                      std::chrono::milliseconds wait);

job_result forget_job(storage::store& st, const std::string& name);

/// A page of at most `limit` decision records after txn id `after`.
job_result decisions_job(const storage::store& st, const std::string& after,
                         size_t limit);

/// How many decision records the store keeps.
job_result decision_count_job(const storage::store& st);

/// Milliseconds since the Unix epoch (storage's `created_ms` clock).
int64_t now_ms();

} // namespace entact::detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(entact::detail::job_result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(entact::detail::runner_job)
