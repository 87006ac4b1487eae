// An interactive transaction, run by message with the engine's coordinator.
#pragma once

#include <chrono>
#include <vector>

#include <caf/expected.hpp>
#include <caf/scoped_actor.hpp>

#include <entact/engine.hpp>
#include <entact/retry_policy.hpp>

namespace example {

/// A transaction as an actor runs it: `begin`, `lock` and `commit` sent to
/// `engine::coordinator()` by a scoped actor of the calling thread, which
/// owns the transaction. Each call waits for the reply, at most the
/// engine's `request_timeout` (then `errc::timeout`); errors are those the
/// coordinator answers with. One thread uses a session at a time.
class coordinator_session {
public:
  explicit coordinator_session(entact::engine& eng);

  /// Begins a transaction with `opts` and locks `ids`; while wait-die
  /// aborts the lock (`errc::aborted`: an older transaction holds one),
  /// backs off per `retry` and begins anew as a retry of the attempt before
  /// (`entact::retry_options`), so it keeps the first attempt's age.
  /// Returns the records of `ids`, locked, in their order.
  caf::expected<std::vector<entact::record>>
  begin_and_lock(const std::vector<entact::entity_id>& ids,
                 entact::txn_options opts, const entact::retry_policy& retry);

  /// False if the last `begin` itself failed (not a lock).
  bool begun() const {
    return begun_;
  }

  /// The transaction's id.
  entact::txn_id id() const {
    return handle_.id;
  }

  /// Commits `writes`: `errc::unknown_transaction` if the transaction is
  /// over (its lease ran out, say).
  caf::expected<std::vector<entact::record>>
  commit(std::vector<entact::txn_write> writes);

private:
  template <class T, class... Ts>
  caf::expected<T> request(Ts&&... xs);

  caf::scoped_actor self_;
  entact::coordinator_api coord_;
  std::chrono::milliseconds timeout_;
  entact::txn_handle handle_;
  bool begun_ = false;
};

} // namespace example
