#include "history/workload.hpp"

#include <memory>
#include <thread>

#include "support/txn_helpers.hpp"

namespace entact::test::history {

namespace {

enum class move_kind {
  get,
  read_then_get,
  read_many_then_get,
  update,
  create,
  erase,
  unconditional,
  async_then_get,
  batch_then_get,
  transact_then_get,
  modify_then_get,
};

std::discrete_distribution<int> moves_of(const mix& m) {
  std::vector<int> w{m.get,           m.read_then_get, m.read_many_then_get,
                     m.update,        m.create,        m.erase,
                     m.unconditional, m.async_then_get, m.batch_then_get,
                     m.transact_then_get, m.modify_then_get};
  return {w.begin(), w.end()};
}

/// One thread of a round: picks moves, remembers the newest record it saw
/// of each key (so that its versioned writes often, not always, succeed)
/// and gives every write a value of its own ("t3-118").
class worker {
public:
  worker(recording& rec, int thread, const workload& w,
         std::vector<entity_id> keys, unsigned seed)
    : rec_(rec, thread),
      thread_(thread),
      keys_(std::move(keys)),
      known_(keys_.size()),
      rng_(seed),
      moves_(moves_of(w.weights)) {
    // nop
  }

  /// Makes `moves` moves, reconnecting after a lost server; then waits
  /// for its async calls.
  void run(endpoint& ep, int moves) {
    for (int i = 0; i < moves && !stopped_; ++i) {
      move(ep.db(thread_));
      if (rec_.saw_unreachable()) {
        rec_.clear_unreachable();
        stopped_ = !ep.reconnect(thread_);
      }
    }
    if (!rec_.drain())
      stopped_ = true;
  }

  bool stopped() const {
    return stopped_;
  }

private:
  const entity_id& key(size_t k) const {
    return keys_[k];
  }

  std::string fresh_value() {
    return "t" + std::to_string(thread_) + "-" + std::to_string(++written_);
  }

  bool chance(int percent) {
    return std::uniform_int_distribution<int>{0, 99}(rng_) < percent;
  }

  size_t pick_key() {
    return std::uniform_int_distribution<size_t>{0, keys_.size() - 1}(rng_);
  }

  size_t other_key(size_t k) {
    auto d = std::uniform_int_distribution<size_t>{1, keys_.size() - 1}(rng_);
    return (k + d) % keys_.size();
  }

  void learn(const record& r) {
    for (size_t k = 0; k < keys_.size(); ++k)
      if (keys_[k] == r.id && r.version >= known_[k].version)
        known_[k] = r;
  }

  /// Learns from a failure: a conflict carries the stored record, a
  /// not_found says the entity is gone.
  void learn(size_t k, const caf::error& err) {
    if (auto c = conflict_of(err))
      learn(c->stored);
    else if (code_of(err) == errc::not_found)
      known_[k].deleted = true;
  }

  void learn(size_t k, const caf::expected<record>& r) {
    if (r)
      learn(*r);
    else
      learn(k, r.error());
  }

  void learn(const std::vector<size_t>& ks,
             const caf::expected<std::vector<record>>& r) {
    if (r)
      for (auto& x : *r)
        learn(x);
    else
      for (auto k : ks)
        learn(k, r.error());
  }

  /// The write a client would make from what it knows: usually an update
  /// of the version it saw (stale when others got there first), else an
  /// unconditional write; a create when it believes the entity gone.
  write_op versioned_write(size_t k) {
    auto& r = known_[k];
    if (!r.exists())
      return write_op::create(key(k), fresh_value());
    if (chance(80))
      return write_op::update(key(k), r.version, fresh_value());
    return write_op::unconditional(key(k), fresh_value());
  }

  void get(database& db, size_t k) {
    learn(k, rec_.get(db, key(k)));
  }

  /// A blocking write, then a get of its key.
  void write(database& db, size_t k, write_op op) {
    learn(k, rec_.write(db, op));
    get(db, k);
  }

  void move(database& db) {
    auto k = pick_key();
    auto& r = known_[k];
    switch (static_cast<move_kind>(moves_(rng_))) {
      case move_kind::get:
        get(db, k);
        break;
      case move_kind::read_then_get:
        learn(k, rec_.read(db, key(k)));
        get(db, k);
        break;
      case move_kind::read_many_then_get: {
        std::vector<size_t> all;
        for (size_t i = 0; i < keys_.size(); ++i)
          all.push_back(i);
        learn(all, rec_.read_many(db, keys_));
        get(db, k);
        break;
      }
      case move_kind::update:
        if (chance(50)) // read-modify-write: more of them succeed
          learn(k, rec_.read(db, key(k)));
        write(db, k, write_op::update(key(k), r.version, fresh_value()));
        break;
      case move_kind::create:
        // Half the time delete first: a create after a tombstone continues
        // the version sequence.
        if (r.exists() && chance(50))
          learn(k, rec_.write(db, write_op::erase(key(k), r.version)));
        write(db, k, write_op::create(key(k), fresh_value()));
        break;
      case move_kind::erase:
        learn(k, rec_.read(db, key(k)));
        write(db, k,
              r.exists() ? write_op::erase(key(k), r.version)
                         : write_op::create(key(k), fresh_value()));
        break;
      case move_kind::unconditional:
        write(db, k, write_op::unconditional(key(k), fresh_value()));
        break;
      case move_kind::async_then_get:
        rec_.write_async(db, versioned_write(k));
        if (chance(30))
          rec_.write_async(db, write_op::unconditional(key(k), fresh_value()));
        if (chance(30))
          learn(k, rec_.read(db, key(k)));
        get(db, k);
        break;
      case move_kind::batch_then_get: {
        auto k2 = other_key(k);
        learn({k, k2},
              rec_.batch(db, {versioned_write(k), versioned_write(k2)}));
        get(db, chance(50) ? k : k2);
        break;
      }
      case move_kind::transact_then_get: {
        auto k2 = other_key(k);
        auto va = fresh_value();
        auto vb = fresh_value();
        learn({k, k2}, rec_.transact(db, key(k), key(k2), va, vb, chance(25)));
        get(db, chance(50) ? k : k2);
        break;
      }
      case move_kind::modify_then_get:
        // Short, and unique to the call: the value records every append
        // that took effect, in order.
        learn(k, rec_.append(db, key(k), "+" + std::to_string(thread_) + "."
                                           + std::to_string(++written_)));
        get(db, k);
        break;
    }
  }

  recorder rec_;
  int thread_;
  std::vector<entity_id> keys_;
  std::vector<record> known_;
  std::mt19937 rng_;
  std::discrete_distribution<int> moves_;
  uint64_t written_ = 0;
  bool stopped_ = false;
};

} // namespace

round_record run_round(endpoint& ep, const workload& w, int round,
                       const round_hooks& hooks, unsigned seed) {
  auto start = std::chrono::steady_clock::now();
  auto keys = ids_of("h" + std::to_string(round) + "/k", w.keys);
  recording rec{w.threads};
  std::vector<std::unique_ptr<worker>> workers;
  for (int t = 0; t < w.threads; ++t)
    workers.push_back(std::make_unique<worker>(rec, t, w, keys,
                                               seed * 7919u + unsigned(t)));
  for (int phase = 0; phase < hooks.phases; ++phase) {
    std::vector<std::thread> threads;
    for (auto& wk : workers)
      threads.emplace_back([&ep, &w, p = wk.get()] { p->run(ep, w.moves); });
    if (hooks.during)
      hooks.during(rec, phase);
    for (auto& t : threads)
      t.join();
    if (phase + 1 < hooks.phases && hooks.between)
      hooks.between(phase);
  }
  round_record r;
  r.histories = rec.histories();
  r.counts = rec.counts();
  for (auto& wk : workers)
    r.stopped += wk->stopped() ? 1 : 0;
  r.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
    std::chrono::steady_clock::now() - start);
  return r;
}

} // namespace entact::test::history
