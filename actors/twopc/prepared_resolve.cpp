#include "twopc/prepared_resolve.hpp"

#include <algorithm>
#include <iterator>
#include <utility>

#include <caf/send.hpp>

#include "entact/errc.hpp"
#include "entact/storage/store.hpp"

namespace entact::detail {

namespace {

using clock = prepared_entry::clock;

/// The holder had no answer (or applying it failed): ask again later,
/// waiting twice as long, up to 32 times `ask_backoff`.
void retry_later(prepared_table_ptr self, const twopc_context* ctx,
                 const std::string& name) {
  auto i = self->state.entries.find(name);
  if (i == self->state.entries.end())
    return;
  auto& e = i->second;
  e.asking = false;
  e.next_ask = clock::now() + e.backoff;
  e.backoff = std::min(e.backoff * 2, ctx->ask_backoff * 32);
}

/// An answer's text: entact's errors as the CLI shows them.
std::string text_of(const caf::error& err) {
  if (err.category() == error_category)
    return render_error(err.code(), err.category(), err.context());
  return to_string(err);
}

/// Keeps what the question about `name` got, for `prepared_info`.
void note_answer(prepared_table_ptr self, const std::string& name,
                 std::string answer) {
  auto i = self->state.entries.find(name);
  if (i == self->state.entries.end())
    return;
  if (answer.size() > max_last_answer_bytes)
    answer.resize(max_last_answer_bytes);
  i->second.last_answer = std::move(answer);
}

/// Applies outcome `x` learned from another holder.
void apply(prepared_table_ptr self, const twopc_context* ctx,
           const std::string& name, twopc_outcome x) {
  auto* st = ctx->store;
  runner_job work;
  if (x == twopc_outcome::commit)
    work.run = [st, name] { return commit_job(*st, name, false); };
  else
    work.run = [st, name] { return abort_job(*st, name, false, {}); };
  self->request(ctx->io, caf::infinite, std::move(work))
    .then([self, ctx, name](job_result& r) {
      if (!r.err)
        settle(self, ctx, name, r);
      // Still here: the write failed, or a coordinator's decision came
      // first (then the entry is gone and this does nothing).
      retry_later(self, ctx, name);
    });
}

void ask_holder(prepared_table_ptr self, const twopc_context* ctx,
                prepared_entry& e) {
  auto name = e.txn.txn;
  auto holder = e.txn.decision_holder;
  auto ask = ctx->ask;
  runner_job work{[ask, holder, name] {
    job_result r;
    auto x = ask(holder, name);
    if (x)
      r.outcome = *x;
    else
      r.err = std::move(x.error());
    return r;
  }};
  self->request(ctx->asker, caf::infinite, std::move(work))
    .then([self, ctx, name](job_result& r) {
      note_answer(self, name, r.err ? text_of(r.err) : to_string(r.outcome));
      if (r.err || r.outcome == twopc_outcome::undecided)
        retry_later(self, ctx, name);
      else
        apply(self, ctx, name, r.outcome);
    });
}

bool due(const prepared_entry& e, const twopc_context* ctx, int64_t now,
         clock::time_point steady_now) {
  return !e.asking && now - e.txn.created_ms >= ctx->ask_after.count()
         && steady_now >= e.next_ask;
}

/// Decision records one sweep lists, and the most decisions whose
/// participants are being asked at once (on the asker: a participant that
/// does not answer holds up the engine's own questions by at most this many
/// dials).
constexpr size_t sweep_page_size = 64;
constexpr size_t max_sweep_in_flight = 4;
/// The most decisions the sweep remembers a backoff for.
constexpr size_t max_sweep_retries = 1024;

std::chrono::milliseconds sweep_period(const twopc_context* ctx) {
  return std::max(ctx->ask_backoff,
                  std::min(ctx->forget_after,
                           std::chrono::milliseconds{1000}));
}

/// Decision `txn` stays: a participant holds it prepared or did not
/// answer. Asked again after a backoff, doubling up to 32 `ask_backoff`.
void sweep_backoff(prepared_table_ptr self, const twopc_context* ctx,
                   const std::string& txn) {
  auto& sw = self->state.sweep;
  --sw.checking;
  auto& retry = sw.retry[txn];
  retry.checking = false;
  if (retry.backoff.count() == 0)
    retry.backoff = ctx->ask_backoff;
  retry.next = clock::now() + retry.backoff;
  retry.backoff = std::min(retry.backoff * 2, ctx->ask_backoff * 32);
}

void sweep_forget(prepared_table_ptr self, const twopc_context* ctx,
                  const std::string& txn) {
  auto* st = ctx->store;
  runner_job work{[st, txn] { return forget_job(*st, txn); }};
  self->request(ctx->io, caf::infinite, std::move(work))
    .then([self, ctx, txn](job_result& r) {
      if (r.err) {
        sweep_backoff(self, ctx, txn);
        return;
      }
      auto& sw = self->state.sweep;
      --sw.checking;
      sw.retry.erase(txn);
      // Not found: the coordinator's `forget` came first.
      if (r.found)
        ++sw.forgotten;
    });
}

/// Asks every participant of commit decision `d` but this engine, one
/// after another, whether it still holds `d` prepared; deletes `d` if
/// none does.
void sweep_check(prepared_table_ptr self, const twopc_context* ctx,
                 const storage::decision_info& d) {
  std::vector<std::string> others;
  for (auto& p : d.participants)
    if (p != ctx->name)
      others.push_back(p);
  auto& sw = self->state.sweep;
  sw.retry[d.txn].checking = true;
  ++sw.checking;
  auto check = ctx->check_prepared;
  auto txn = d.txn;
  runner_job work{[check, others, txn] {
    // `found`: one holds it prepared; `count`: participants asked.
    job_result r;
    for (auto& p : others) {
      ++r.count;
      auto x = check(p, txn);
      if (!x) {
        r.err = std::move(x.error());
        return r;
      }
      if (*x) {
        r.found = true;
        return r;
      }
    }
    return r;
  }};
  self->request(ctx->asker, caf::infinite, std::move(work))
    .then([self, ctx, txn](job_result& r) {
      self->state.sweep.checks += r.count;
      if (r.err || r.found)
        sweep_backoff(self, ctx, txn);
      else
        sweep_forget(self, ctx, txn);
    });
}

/// Picks from one page of decisions those to ask about; the next sweep
/// starts after the last one looked at.
void sweep_page(prepared_table_ptr self, const twopc_context* ctx,
                const std::vector<storage::decision_info>& page) {
  auto& sw = self->state.sweep;
  // Where this page started: kept if not one record was looked at.
  auto last_seen = sw.cursor;
  sw.cursor = page.size() == sweep_page_size ? page.back().txn
                                             : std::string{};
  auto now = now_ms();
  auto steady_now = clock::now();
  for (auto& d : page) {
    if (sw.checking >= max_sweep_in_flight) {
      sw.cursor = last_seen; // the rest: next time
      break;
    }
    last_seen = d.txn;
    if (d.outcome != storage::decision::commit
        || now - d.created_ms < ctx->forget_after.count())
      continue;
    auto i = sw.retry.find(d.txn);
    if (i != sw.retry.end()
        && (i->second.checking || steady_now < i->second.next))
      continue;
    sweep_check(self, ctx, d);
  }
  if (sw.retry.size() > max_sweep_retries)
    for (auto i = sw.retry.begin(); i != sw.retry.end();)
      i = i->second.checking ? std::next(i) : sw.retry.erase(i);
}

} // namespace

void arm_sweep(prepared_table_ptr self, const twopc_context* ctx) {
  if (ctx->name.empty() || !ctx->check_prepared)
    return;
  self->delayed_send(self, sweep_period(ctx), decision_sweep_atom::value);
}

void sweep_decisions(prepared_table_ptr self, const twopc_context* ctx) {
  auto& sw = self->state.sweep;
  if (sw.listing || sw.checking >= max_sweep_in_flight) {
    arm_sweep(self, ctx);
    return;
  }
  sw.listing = true;
  ++sw.sweeps;
  auto* st = ctx->store;
  auto after = sw.cursor;
  runner_job work{[st, after] {
    return decisions_job(*st, after, sweep_page_size);
  }};
  self->request(ctx->io, caf::infinite, std::move(work))
    .then([self, ctx](job_result& r) {
      self->state.sweep.listing = false;
      if (r.err)
        self->state.sweep.cursor.clear();
      else
        sweep_page(self, ctx, r.decisions);
      arm_sweep(self, ctx);
    });
}

caf::result<decision_stats> decision_stats_of(prepared_table_ptr self,
                                              const twopc_context* ctx) {
  auto rp = self->make_response_promise<decision_stats>();
  auto* st = ctx->store;
  runner_job work{[st] { return decision_count_job(*st); }};
  self->request(ctx->io, caf::infinite, std::move(work))
    .then([self, rp](job_result& r) mutable {
      if (r.err) {
        rp.deliver(std::move(r.err));
        return;
      }
      auto& sw = self->state.sweep;
      rp.deliver(decision_stats{r.count, sw.sweeps, sw.checks, sw.forgotten});
    });
  return rp;
}

void decide_here(prepared_table_ptr self, const twopc_context* ctx,
                 const std::string& name,
                 std::function<void(caf::expected<twopc_outcome>)> done) {
  auto* st = ctx->store;
  auto wait = ctx->decision_wait;
  runner_job work{[st, name, wait] { return decide_job(*st, name, wait); }};
  self->request(ctx->io, caf::infinite, std::move(work))
    .then([self, ctx, name, done](job_result& r) {
      if (r.err) {
        done(std::move(r.err));
        return;
      }
      settle(self, ctx, name, r);
      done(r.outcome);
    });
}

void arm_resolve(prepared_table_ptr self, const twopc_context* ctx) {
  auto& st = self->state;
  if (st.resolve_armed || st.entries.empty())
    return;
  st.resolve_armed = true;
  self->delayed_send(self, ctx->ask_backoff, resolve_atom::value);
}

void resolve_due(prepared_table_ptr self, const twopc_context* ctx) {
  auto& st = self->state;
  st.resolve_armed = false;
  auto now = now_ms();
  auto steady_now = clock::now();
  for (auto& kvp : st.entries) {
    auto& e = kvp.second;
    bool mine = !ctx->name.empty() && e.txn.decision_holder == ctx->name;
    if (!due(e, ctx, now, steady_now) || (!mine && !ctx->ask))
      continue;
    e.asking = true;
    ++e.asks;
    if (!mine) {
      ask_holder(self, ctx, e);
      continue;
    }
    auto name = kvp.first;
    decide_here(self, ctx, name,
                [self, ctx, name](caf::expected<twopc_outcome> x) {
                  // Decided: settled and gone; undecided: wait.
                  note_answer(self, name,
                              x ? to_string(*x) : text_of(x.error()));
                  retry_later(self, ctx, name);
                });
  }
  arm_resolve(self, ctx);
}

} // namespace entact::detail
