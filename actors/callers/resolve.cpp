#include "entact/resolve.hpp"

#include <algorithm>
#include <random>
#include <thread>

#include "entact/errc.hpp"

namespace entact {

namespace {

/// Writes `value` on top of `current`: an update at its version if it
/// exists, else a create (which continues after a tombstone).
write_op write_over(const record& current, std::string value) {
  if (current.exists())
    return write_op::update(current.id, current.version, std::move(value));
  return write_op::create(current.id, std::move(value));
}

/// Runs `attempt(current)` until it is not a conflict, feeding each
/// conflict's stored record into the next try.
template <class Attempt>
caf::expected<record> retry(record current, const retry_policy& policy,
                            retry_stats* stats, Attempt&& attempt) {
  retry_stats local;
  auto& st = stats ? *stats : local;
  auto tries = std::max(policy.max_attempts, 1u);
  for (unsigned n = 0;; ++n) {
    ++st.attempts;
    auto result = attempt(current);
    if (result || !is_conflict(result.error()))
      return result;
    ++st.conflicts;
    if (n + 1 >= tries)
      return result;
    current = conflict_of(result.error())->stored;
    back_off(policy, n);
  }
}

} // namespace

bool worth_retrying(const caf::error& err) {
  auto code = code_of(err);
  return code == errc::aborted || code == errc::conflict;
}

void back_off(const retry_policy& policy, unsigned attempt) {
  // Full jitter: spreads retrying writers so they do not collide again.
  thread_local std::mt19937_64 rng{std::random_device{}()};
  auto cap = policy.initial_backoff * (int64_t{1} << std::min(attempt, 20u));
  cap = std::min(cap, policy.max_backoff);
  std::uniform_int_distribution<int64_t> pick{0, cap.count()};
  std::this_thread::sleep_for(std::chrono::microseconds{pick(rng)});
}

caf::expected<record> read_modify_write(database& db, const entity_id& id,
                                        const modify_fn& modify,
                                        const retry_policy& policy,
                                        retry_stats* stats) {
  auto first = db.read(id);
  if (!first && code_of(first.error()) != errc::not_found)
    return first;
  record current = first ? *first : record{id, no_version, {}, false};
  return retry(std::move(current), policy, stats,
               [&](const record& cur) -> caf::expected<record> {
                 auto value = modify(cur);
                 if (!value)
                   return make_error(errc::aborted, "modify gave up");
                 return db.apply(write_over(cur, std::move(*value)));
               });
}

caf::expected<record> resolve_database_wins(database& db, const conflict& c) {
  return db.read(c.id);
}

caf::expected<record> resolve_client_wins(database& db, const conflict& c) {
  if (c.attempted_kind != op_kind::erase_if_version)
    return db.apply(write_over(c.stored, c.attempted_value));
  if (!c.stored.exists())
    return c.stored;
  return db.apply(write_op::erase(c.id, c.stored.version));
}

caf::expected<record> resolve_merge(database& db, const conflict& c,
                                    const std::string& original,
                                    const merge_fn& merge,
                                    const retry_policy& policy,
                                    retry_stats* stats) {
  return retry(c.stored, policy, stats,
               [&](const record& cur) -> caf::expected<record> {
                 auto value = merge(original, c.attempted_value, cur);
                 if (!value)
                   return make_error(errc::aborted, "merge gave up");
                 return db.apply(write_over(cur, std::move(*value)));
               });
}

} // namespace entact
