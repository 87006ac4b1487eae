#include "history/reference_database.hpp"

#include <set>

#include "entact/decide.hpp"
#include "entact/errc.hpp"
#include "operations/operation_registry.hpp"

namespace entact::test::history {

reference_database::reference_database(bool stale_gets,
                                       std::chrono::microseconds lag,
                                       std::chrono::microseconds delay)
  : stale_gets_(stale_gets),
    lag_(lag),
    callback_delay_(delay),
    cb_thread_([this] { deliver_callbacks(); }) {
  // nop
}

reference_database::~reference_database() {
  {
    std::lock_guard<std::mutex> guard{cb_mtx_};
    stopping_ = true;
  }
  cb_cv_.notify_all();
  cb_thread_.join();
}

record& reference_database::current(const entity_id& id) {
  auto [i, fresh] = store_.try_emplace(id);
  if (fresh) {
    i->second.now.id = id;
    i->second.before = i->second.now;
  }
  return i->second.now;
}

caf::expected<std::vector<record>>
reference_database::commit(const std::vector<write_op>& ops) {
  std::set<entity_id> ids;
  for (auto& op : ops)
    if (!ids.insert(op.id).second)
      return make_error(errc::invalid_argument, "two writes to " + op.id);
  if (ops.empty())
    return make_error(errc::invalid_argument, "empty batch");
  std::vector<record> result;
  for (auto& op : ops) {
    auto r = decide(current(op.id), op);
    if (!r)
      return std::move(r.error());
    result.push_back(std::move(*r));
  }
  auto now = clock::now();
  for (auto& r : result) {
    auto& s = store_.at(r.id);
    s.before = s.now;
    s.now = r;
    s.changed = now;
  }
  return result;
}

caf::expected<record> reference_database::get(const entity_id& id) {
  std::lock_guard<std::mutex> guard{mtx_};
  current(id);
  auto& s = store_.at(id);
  auto lagging = stale_gets_ && clock::now() - s.changed < lag_;
  auto r = lagging ? s.before : s.now;
  if (!r.exists())
    return make_error(errc::not_found, id);
  return r;
}

caf::expected<record> reference_database::read(const entity_id& id) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto r = current(id);
  if (!r.exists())
    return make_error(errc::not_found, id);
  return r;
}

caf::expected<std::vector<record>>
reference_database::read_many(const std::vector<entity_id>& ids) {
  std::lock_guard<std::mutex> guard{mtx_};
  std::vector<record> result;
  for (auto& id : ids)
    result.push_back(current(id));
  return result;
}

caf::expected<std::vector<record>>
reference_database::transact(const std::vector<entity_id>& ids,
                             const txn_body& body, const txn_options&,
                             const retry_policy&) {
  std::lock_guard<std::mutex> guard{mtx_};
  std::vector<record> locked;
  for (auto& id : ids)
    locked.push_back(current(id));
  transaction t{locked};
  if (auto err = body(t))
    return err;
  // As the engine's make_ops: versions are those read under the lock.
  std::vector<write_op> ops;
  for (auto& w : t.writes()) {
    auto& base = current(w.id);
    if (w.erase)
      ops.push_back(write_op::erase(w.id, base.version));
    else if (base.exists())
      ops.push_back(write_op::update(w.id, base.version, w.value));
    else
      ops.push_back(write_op::create(w.id, w.value));
  }
  return commit(ops);
}

caf::expected<record> reference_database::apply(write_op op) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto r = commit({op});
  if (!r)
    return std::move(r.error());
  return std::move(r->front());
}

caf::expected<std::vector<record>>
reference_database::apply_batch(std::vector<write_op> ops) {
  std::lock_guard<std::mutex> guard{mtx_};
  return commit(ops);
}

void reference_database::apply_async(write_op op, record_callback done) {
  auto outcome = apply(std::move(op));
  {
    std::lock_guard<std::mutex> guard{cb_mtx_};
    callbacks_.push_back(callback{clock::now() + callback_delay_,
                                  std::move(done), std::move(outcome)});
  }
  cb_cv_.notify_all();
}

caf::expected<record> reference_database::modify(modify_op op) {
  // The built-in operations only, applied under the one mutex.
  static const auto ops = detail::builtin_operations();
  auto fn = ops.find(op.name);
  if (fn == ops.end())
    return make_error(errc::invalid_argument,
                      "unknown operation '" + op.name + "'");
  std::lock_guard<std::mutex> guard{mtx_};
  auto& base = current(op.id);
  auto value = fn->second(base, op.arg);
  if (!value)
    return std::move(value.error());
  auto write = base.exists()
                 ? write_op::update(op.id, base.version, std::move(*value))
                 : write_op::create_at(op.id, base.version,
                                       std::move(*value));
  auto r = commit({write});
  if (!r)
    return std::move(r.error());
  return std::move(r->front());
}

void reference_database::modify_async(modify_op op, record_callback done) {
  auto outcome = modify(std::move(op));
  {
    std::lock_guard<std::mutex> guard{cb_mtx_};
    callbacks_.push_back(callback{clock::now() + callback_delay_,
                                  std::move(done), std::move(outcome)});
  }
  cb_cv_.notify_all();
}

void reference_database::deliver_callbacks() {
  std::unique_lock<std::mutex> guard{cb_mtx_};
  for (;;) {
    cb_cv_.wait(guard, [&] { return stopping_ || !callbacks_.empty(); });
    if (callbacks_.empty())
      return;
    auto cb = std::move(callbacks_.front());
    callbacks_.pop_front();
    // The answer's latency: it comes after the write took effect.
    if (!stopping_)
      cb_cv_.wait_until(guard, cb.due, [&] { return stopping_; });
    guard.unlock();
    cb.done(std::move(cb.outcome));
    guard.lock();
  }
}

} // namespace entact::test::history
