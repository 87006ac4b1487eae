#include "twopc/prepared_resolve.hpp"

#include <algorithm>
#include <utility>

#include <caf/send.hpp>

#include "entact/errc.hpp"

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

} // namespace

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
