#include "twopc/prepared_table.hpp"

#include <algorithm>
#include <utility>

#include <caf/send.hpp>

#include "entact/errc.hpp"
#include "entact/storage/store.hpp"
#include "twopc/prepared_resolve.hpp"

namespace entact::detail {

namespace {

using self_ptr = prepared_table_actor::stateful_pointer<prepared_table_state>;
using records = std::vector<record>;

bool at_holder(const twopc_context* ctx, const std::string& holder) {
  return !ctx->name.empty() && holder == ctx->name;
}

void remember(prepared_table_state& st, const std::string& name,
              twopc_outcome x) {
  if (st.recent.emplace(name, x).second)
    st.recent_order.push_back(name);
  while (st.recent_order.size() > max_recent_outcomes) {
    st.recent.erase(st.recent_order.front());
    st.recent_order.pop_front();
  }
}

twopc_outcome recent_of(const prepared_table_state& st,
                        const std::string& name) {
  auto i = st.recent.find(name);
  return i != st.recent.end() ? i->second : twopc_outcome::undecided;
}

/// Tells the test hook that `step` is durable (and not answered yet).
void test_step(const twopc_context* ctx, const char* step) {
  if (ctx->test_hook)
    ctx->test_hook(step);
}

/// Locks `txn`'s ids for `lock_txn` as a prepared transaction's (restart).
void lock_again(self_ptr self, const twopc_context* ctx,
                const storage::prepared_txn& txn, txn_id lock_txn) {
  lock_request req{lock_txn, prepared_age, std::chrono::seconds{30},
                   prepared_lease};
  for (auto& id : ids_of(txn)) {
    ++self->state.locks_pending;
    auto taken = [self] {
      auto& st = self->state;
      if (--st.locks_pending > 0)
        return;
      for (auto& rp : st.ready_waiters)
        rp.deliver(true);
      st.ready_waiters.clear();
    };
    // Nothing else runs yet, so the lock is free; should it fail anyway,
    // storage still refuses every other write of the id.
    self->request(ctx->router, caf::infinite, lock_atom::value, id, req)
      .then([taken](record&) { taken(); },
            [taken](caf::error&) { taken(); });
  }
}

void add_entry(self_ptr self, const twopc_context* ctx,
               storage::prepared_txn txn, txn_id lock_txn) {
  ctx->held->add(ids_of(txn));
  prepared_entry e;
  e.lock_txn = lock_txn;
  e.backoff = ctx->ask_backoff;
  auto name = txn.txn;
  e.txn = std::move(txn);
  self->state.entries[name] = std::move(e);
  arm_resolve(self, ctx);
}

caf::result<bool> prepare(self_ptr self, const twopc_context* ctx,
                          prepare_handover& job) {
  auto rp = self->make_response_promise<bool>();
  auto lock_txn = job.lock_txn;
  auto holder = at_holder(ctx, job.req.decision_holder);
  auto* st = ctx->store;
  runner_job work{[st, req = std::move(job.req), holder, ctx]() mutable {
    auto r = prepare_job(*st, std::move(req), holder);
    if (!r.err)
      test_step(ctx, "prepared");
    return r;
  }};
  self->request(ctx->io, caf::infinite, std::move(work))
    .then([self, ctx, rp, lock_txn](job_result& r) mutable {
      if (r.err) {
        rp.deliver(std::move(r.err));
        return;
      }
      // Held before the vote is answered: no decision can exist before.
      add_entry(self, ctx, std::move(r.prepared), lock_txn);
      rp.deliver(true);
    });
  return rp;
}

caf::result<records> commit(self_ptr self, const twopc_context* ctx,
                            const std::string& name, bool as_decision) {
  auto rp = self->make_response_promise<records>();
  auto* st = ctx->store;
  runner_job work{[st, name, as_decision, ctx] {
    auto r = commit_job(*st, name, as_decision);
    if (!r.err)
      test_step(ctx, as_decision ? "decided" : "committed");
    return r;
  }};
  self->request(ctx->io, caf::infinite, std::move(work))
    .then([self, ctx, rp, name](job_result& r) mutable {
      if (!r.err) {
        settle(self, ctx, name, r);
        rp.deliver(std::move(r.records));
        return;
      }
      auto before = recent_of(self->state, name);
      if (code_of(r.err) != errc::unknown_transaction
          || before == twopc_outcome::undecided)
        rp.deliver(std::move(r.err));
      else if (before == twopc_outcome::commit)
        rp.deliver(records{}); // a resent commit: done before
      else
        rp.deliver(make_error(errc::invalid_argument,
                              "transaction " + name + " was aborted"));
    });
  return rp;
}

caf::result<bool> abort(self_ptr self, const twopc_context* ctx,
                        const std::string& name) {
  auto rp = self->make_response_promise<bool>();
  bool holder = false;
  std::vector<std::string> participants;
  if (auto i = self->state.entries.find(name);
      i != self->state.entries.end()) {
    holder = at_holder(ctx, i->second.txn.decision_holder);
    participants = i->second.txn.participants;
  }
  auto* st = ctx->store;
  runner_job work{[st, name, holder, participants]() mutable {
    return abort_job(*st, name, holder, std::move(participants));
  }};
  self->request(ctx->io, caf::infinite, std::move(work))
    .then([self, ctx, rp, name](job_result& r) mutable {
      if (r.err) {
        rp.deliver(std::move(r.err));
        return;
      }
      settle(self, ctx, name, r);
      if (!r.ended && recent_of(self->state, name) == twopc_outcome::commit)
        rp.deliver(make_error(errc::invalid_argument,
                              "transaction " + name + " was committed"));
      else
        rp.deliver(true);
    });
  return rp;
}

caf::result<twopc_outcome> decision(self_ptr self, const twopc_context* ctx,
                                    const std::string& name) {
  if (auto err = storage::validate_txn_id(name))
    return err;
  auto i = self->state.entries.find(name);
  // Prepared here under another holder: not this engine's to decide.
  if (i != self->state.entries.end()
      && !at_holder(ctx, i->second.txn.decision_holder))
    return twopc_outcome::undecided;
  auto rp = self->make_response_promise<twopc_outcome>();
  decide_here(self, ctx, name,
              [rp](caf::expected<twopc_outcome> x) mutable {
                if (x)
                  rp.deliver(*x);
                else
                  rp.deliver(std::move(x.error()));
              });
  return rp;
}

caf::result<bool> forget(self_ptr self, const twopc_context* ctx,
                         const std::string& name) {
  auto rp = self->make_response_promise<bool>();
  auto* st = ctx->store;
  runner_job work{[st, name] { return forget_job(*st, name); }};
  self->request(ctx->io, caf::infinite, std::move(work))
    .then([rp](job_result& r) mutable {
      if (r.err)
        rp.deliver(std::move(r.err));
      else
        rp.deliver(r.found);
    });
  return rp;
}

std::vector<prepared_info> list(const prepared_table_state& st) {
  std::vector<prepared_info> result;
  auto now = now_ms();
  for (auto& kvp : st.entries) {
    auto& t = kvp.second.txn;
    result.push_back(prepared_info{t.txn, ids_of(t), t.participants,
                                   t.decision_holder, t.created_ms,
                                   now - t.created_ms, kvp.second.asks,
                                   kvp.second.last_answer});
  }
  return result;
}

} // namespace

std::vector<entity_id> ids_of(const storage::prepared_txn& txn) {
  std::vector<entity_id> ids;
  ids.reserve(txn.writes.size());
  for (auto& w : txn.writes)
    ids.push_back(w.op.id);
  return ids;
}

void settle(self_ptr self, const twopc_context* ctx, const std::string& name,
            const job_result& r) {
  auto& st = self->state;
  if (r.outcome != twopc_outcome::undecided)
    remember(st, name, r.outcome);
  auto i = st.entries.find(name);
  if (!r.ended || i == st.entries.end())
    return;
  // Released exactly like a committed transaction's locks: each entity
  // learns its new record (or nothing, for an abort) with its release.
  auto ids = ids_of(i->second.txn);
  for (auto& id : ids) {
    auto w = std::find_if(r.records.begin(), r.records.end(),
                          [&](const record& x) { return x.id == id; });
    self->send(ctx->router, release_atom::value, id, i->second.lock_txn,
               w != r.records.end() ? *w : record{});
  }
  // Only after the outcome is durable (see held_ids.hpp).
  ctx->held->remove(ids);
  st.entries.erase(i);
}

prepared_table_actor::behavior_type
prepared_table(self_ptr self, const twopc_context* ctx,
               std::vector<storage::prepared_txn> restored) {
  txn_id next_lock = restored_lock_base;
  for (auto& txn : restored) {
    lock_again(self, ctx, txn, next_lock);
    add_entry(self, ctx, std::move(txn), next_lock++);
  }
  arm_sweep(self, ctx);
  return {
    [self, ctx](prepare_atom, prepare_handover& job) {
      return prepare(self, ctx, job);
    },
    [self, ctx](commit_prepared_atom, const std::string& name,
                bool as_decision) {
      return commit(self, ctx, name, as_decision);
    },
    [self, ctx](abort_prepared_atom, const std::string& name) {
      return abort(self, ctx, name);
    },
    [self, ctx](decision_atom, const std::string& name) {
      return decision(self, ctx, name);
    },
    [self, ctx](forget_atom, const std::string& name) {
      return forget(self, ctx, name);
    },
    [self](prepared_atom) { return list(self->state); },
    [self](ready_atom) -> caf::result<bool> {
      if (self->state.locks_pending == 0)
        return true;
      auto rp = self->make_response_promise<bool>();
      self->state.ready_waiters.push_back(rp);
      return rp;
    },
    [self, ctx](resolve_atom) { resolve_due(self, ctx); },
    [self, ctx](decision_sweep_atom) { sweep_decisions(self, ctx); },
    [self, ctx](decision_stats_atom) { return decision_stats_of(self, ctx); },
  };
}

} // namespace entact::detail
