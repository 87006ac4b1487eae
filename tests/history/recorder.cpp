#include "history/recorder.hpp"

#include <map>

#include "entact/errc.hpp"

namespace entact::test::history {

namespace {

/// What a failed call tells.
struct failure_kind {
  ending e;
  outcome r;
};

failure_kind classify(const caf::error& err) {
  switch (code_of(err)) {
    case errc::conflict:
      return {ending::refused, outcome::conflict};
    case errc::not_found:
      return {ending::refused, outcome::not_found};
    case errc::timeout:
    case errc::in_doubt:
    case errc::unreachable:
    case errc::closed:
      return {ending::unknown, outcome::unknown};
    default:
      return {ending::failed, outcome::unknown};
  }
}

/// The model's action and the named call of each kind of write.
struct write_kind {
  action act;
  api call;
};

write_kind kind_of(op_kind k) {
  switch (k) {
    case op_kind::update_if_version:
      return {action::update_if_version, api::update};
    case op_kind::create_if_absent:
      return {action::create_if_absent, api::create};
    case op_kind::erase_if_version:
      return {action::erase_if_version, api::erase};
    case op_kind::write_unconditionally:
    case op_kind::create_at_version: // not in the recorded workloads
      break;
  }
  return {action::write_unconditionally, api::write_unconditionally};
}

action action_of(op_kind k) {
  return kind_of(k).act;
}

/// Fills in a write's outcome at time `now`; returns how the call ended.
ending settle(key_op& op, const caf::expected<record>& r, nanos now) {
  op.response = now;
  if (r) {
    op.res = outcome::ok;
    op.seen = *r;
    return ending::ok;
  }
  auto f = classify(r.error());
  op.res = f.r;
  if (f.r == outcome::unknown)
    op.response = never;
  return f.e;
}

/// Calls that reach the entity's actor, in the order one thread made them
/// (see the header): they wait for that thread's earlier async writes.
bool ordered_after_async(api a) {
  switch (a) {
    case api::get:
    case api::update:
    case api::create:
    case api::erase:
    case api::write_unconditionally:
    case api::apply_async:
    case api::modify:
      return true;
    default:
      return false;
  }
}

void set_write(key_op& k, const write_op& op) {
  k.act = action_of(op.kind);
  k.expected = op.expected_version;
  k.value = op.value;
}

} // namespace

uint64_t tally::calls(api a) const {
  uint64_t sum = 0;
  for (auto x : n[static_cast<size_t>(a)])
    sum += x;
  return sum;
}

void tally::add(const tally& x) {
  for (size_t a = 0; a < n.size(); ++a)
    for (size_t e = 0; e < n[a].size(); ++e)
      n[a][e] += x.n[a][e];
}

std::string tally::to_string() const {
  static const char* names[] = {"ok", "refused", "unknown", "failed"};
  std::string s;
  for (int a = 0; a < api_count; ++a) {
    auto what = static_cast<api>(a);
    s += std::string{history::to_string(what)} + " "
         + std::to_string(calls(what)) + " (";
    for (int e = 0; e < ending_count; ++e)
      s += std::string{e > 0 ? ", " : ""} + names[e] + " "
           + std::to_string(of(what, static_cast<ending>(e)));
    s += ")\n";
  }
  return s;
}

recording::recording(int threads) {
  for (int t = 0; t < threads; ++t)
    logs_.push_back(std::make_unique<thread_log>());
}

nanos recording::now() const {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(clock::now()
                                                              - origin_)
    .count();
}

void recording::count(api a, ending e) {
  ++counts_[static_cast<size_t>(a)][static_cast<size_t>(e)];
  ++finished_;
  { std::lock_guard<std::mutex> guard{finished_mtx_}; }
  finished_cv_.notify_all();
}

bool recording::wait_finished(uint64_t n, std::chrono::milliseconds limit) {
  std::unique_lock<std::mutex> guard{finished_mtx_};
  return finished_cv_.wait_for(guard, limit, [&] { return finished_ >= n; });
}

tally recording::counts() const {
  tally t;
  for (size_t a = 0; a < t.n.size(); ++a)
    for (size_t e = 0; e < t.n[a].size(); ++e)
      t.n[a][e] = counts_[a][e];
  return t;
}

std::vector<key_history> recording::histories() const {
  std::map<entity_id, key_history> by_key;
  for (auto& log : logs_) {
    // This thread's async writes so far, per key.
    std::map<entity_id, std::vector<const key_op*>> async;
    for (auto& en : log->entries) {
      if (!en.keep)
        continue;
      auto op = en.op;
      if (ordered_after_async(op.call))
        for (auto* w : async[en.key])
          if (w->res == outcome::unknown || w->response > op.invoke)
            op.after.push_back(w->id);
      if (op.call == api::apply_async)
        async[en.key].push_back(&en.op);
      auto& h = by_key[en.key];
      h.key = en.key;
      h.ops.push_back(std::move(op));
    }
  }
  std::vector<key_history> result;
  for (auto& kvp : by_key)
    result.push_back(std::move(kvp.second));
  return result;
}

recorder::recorder(recording& rec, int thread)
  : rec_(rec), thread_(thread), log_(rec.log(thread)) {
  // nop
}

key_op recorder::start(api call, action act) const {
  key_op op;
  op.thread = thread_;
  op.call = call;
  op.act = act;
  op.invoke = rec_.now();
  return op;
}

void recorder::keep(const entity_id& key, key_op op) {
  log_.entries.push_back(recording::entry{key, std::move(op), true});
}

void recorder::note(const caf::error& err) {
  if (code_of(err) == errc::unreachable)
    unreachable_ = true;
}

caf::expected<record> recorder::get(database& db, const entity_id& id) {
  return read_one(api::get, db, id);
}

caf::expected<record> recorder::read(database& db, const entity_id& id) {
  return read_one(api::read, db, id);
}

caf::expected<record> recorder::read_one(api call, database& db,
                                         const entity_id& id) {
  auto op = start(call, action::read);
  op.id = rec_.next_id();
  auto r = call == api::get ? db.get(id) : db.read(id);
  op.response = rec_.now();
  auto e = ending::ok;
  if (r) {
    op.seen = *r;
  } else if (code_of(r.error()) == errc::not_found) {
    op.res = outcome::absent;
    e = ending::refused;
  } else {
    note(r.error());
    e = classify(r.error()).e; // a read that failed tells nothing
  }
  if (e == ending::ok || e == ending::refused)
    keep(id, std::move(op));
  rec_.count(call, e);
  return r;
}

caf::expected<std::vector<record>>
recorder::read_many(database& db, const std::vector<entity_id>& ids) {
  auto op = start(api::read_many, action::read);
  op.id = rec_.next_id();
  auto r = db.read_many(ids);
  op.response = rec_.now();
  if (!r || r->size() != ids.size()) {
    if (!r)
      note(r.error());
    rec_.count(api::read_many, r ? ending::failed : classify(r.error()).e);
    return r;
  }
  for (size_t i = 0; i < ids.size(); ++i) {
    op.seen = (*r)[i];
    keep(ids[i], op);
  }
  rec_.count(api::read_many, ending::ok);
  return r;
}

caf::expected<record> recorder::write(database& db, const write_op& op) {
  auto k = start(kind_of(op.kind).call, action_of(op.kind));
  k.id = rec_.next_id();
  set_write(k, op);
  caf::expected<record> r = make_error(errc::invalid_argument);
  switch (op.kind) {
    case op_kind::update_if_version:
      r = db.update(op.id, op.expected_version, op.value);
      break;
    case op_kind::create_if_absent:
      r = db.create(op.id, op.value);
      break;
    case op_kind::erase_if_version:
      r = db.erase(op.id, op.expected_version);
      break;
    case op_kind::write_unconditionally:
      r = db.write_unconditionally(op.id, op.value);
      break;
    case op_kind::create_at_version:
      r = db.apply(op);
      break;
  }
  auto e = settle(k, r, rec_.now());
  if (!r)
    note(r.error());
  if (e != ending::failed)
    keep(op.id, std::move(k));
  rec_.count(k.call, e);
  return r;
}

caf::expected<record> recorder::append(database& db, const entity_id& id,
                                       const std::string& arg) {
  auto k = start(api::modify, action::modify_append);
  k.id = rec_.next_id();
  k.value = arg;
  auto r = db.modify(id, "append", arg);
  auto e = settle(k, r, rec_.now());
  if (!r)
    note(r.error());
  if (e != ending::failed)
    keep(id, std::move(k));
  rec_.count(api::modify, e);
  return r;
}

void recorder::write_async(database& db, write_op op) {
  auto k = start(api::apply_async, action_of(op.kind));
  k.id = rec_.next_id();
  set_write(k, op);
  keep(op.id, std::move(k));
  auto* en = &log_.entries.back();
  {
    std::lock_guard<std::mutex> guard{log_.mtx};
    ++log_.in_flight;
  }
  auto* rec = &rec_;
  auto* log = &log_;
  // Runs on one of the database's threads.
  db.apply_async(std::move(op), [rec, log, en](caf::expected<record> r) {
    auto e = settle(en->op, r, rec->now());
    en->keep = e != ending::failed;
    rec->count(api::apply_async, e);
    {
      std::lock_guard<std::mutex> guard{log->mtx};
      --log->in_flight;
    }
    log->idle.notify_all();
  });
}

caf::expected<std::vector<record>>
recorder::batch(database& db, std::vector<write_op> ops) {
  auto id = rec_.next_id();
  std::vector<part> parts;
  for (auto& op : ops) {
    auto k = start(api::apply_batch, action_of(op.kind));
    k.id = id;
    set_write(k, op);
    parts.push_back({op.id, std::move(k)});
  }
  auto r = db.apply_batch(std::move(ops));
  keep_parts(api::apply_batch, parts, r);
  return r;
}

caf::expected<std::vector<record>>
recorder::transact(database& db, const entity_id& a, const entity_id& b,
                   const std::string& va, const std::string& vb,
                   bool erase_b) {
  // The last attempt's reads: only it can have committed.
  struct attempt {
    record ra;
    record rb;
    bool erase_b = false;
    bool ran = false;
  } last;
  auto body = [&](transaction& t) -> caf::error {
    auto ra = t.get(a);
    auto rb = t.get(b);
    if (!ra || !rb)
      return ra ? rb.error() : ra.error();
    last = attempt{*ra, *rb, erase_b && rb->exists(), true};
    if (auto err = t.put(a, va))
      return err;
    return last.erase_b ? t.erase(b) : t.put(b, vb);
  };
  auto invoke = rec_.now();
  auto r = db.transact({a, b}, body);
  if (!last.ran) {
    if (!r)
      note(r.error());
    rec_.count(api::transact, r ? ending::ok : classify(r.error()).e);
    return r;
  }
  // Each write commits as the versioned op make_ops builds from the read.
  auto id = rec_.next_id();
  auto write_of = [&](const record& read, const std::string& value,
                      bool erase) {
    auto k = start(api::transact, erase ? action::erase_if_version
                                  : read.exists() ? action::update_if_version
                                                  : action::create_if_absent);
    k.id = id;
    k.invoke = invoke;
    k.expected = k.act == action::create_if_absent ? no_version : read.version;
    k.value = erase ? std::string{} : value;
    return k;
  };
  std::vector<part> parts{{a, write_of(last.ra, va, false)},
                          {b, write_of(last.rb, vb, last.erase_b)}};
  keep_parts(api::transact, parts, r);
  return r;
}

void recorder::keep_parts(api call, std::vector<part>& parts,
                          const caf::expected<std::vector<record>>& r) {
  auto now = rec_.now();
  if (!r)
    note(r.error());
  auto e = r && r->size() == parts.size() ? ending::ok
           : r                            ? ending::failed
                                          : classify(r.error()).e;
  // A conflict names the one stale op; any other refusal (not_found) does
  // not say which op it was about, so it tells nothing.
  auto c = r ? std::nullopt : conflict_of(r.error());
  for (size_t i = 0; i < parts.size(); ++i) {
    auto& [key, k] = parts[i];
    if (e == ending::ok)
      settle(k, (*r)[i], now);
    else if (e == ending::unknown || (c && c->id == key))
      settle(k, r.error(), now);
    else
      continue;
    keep(key, std::move(k));
  }
  rec_.count(call, e);
}

bool recorder::drain(std::chrono::milliseconds limit) {
  std::unique_lock<std::mutex> guard{log_.mtx};
  return log_.idle.wait_for(guard, limit, [&] { return log_.in_flight == 0; });
}

} // namespace entact::test::history
