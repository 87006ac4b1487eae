#include "cross_node_txn.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <thread>

#include <openssl/rand.h>

#include "entact/decide.hpp"
#include "entact/errc.hpp"

namespace entact::detail {

namespace {

using records = std::vector<record>;

/// An answer that never came: the call may or may not have been applied.
bool lost(const caf::error& err) {
  auto code = code_of(err);
  return code == errc::timeout || code == errc::unreachable
         || code == errc::closed;
}

/// 128 random bits in hex: a name no other transaction has.
caf::expected<std::string> fresh_name() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1)
    return make_error(errc::storage_failure, "no random bytes for a 2PC name");
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (auto b : bytes) {
    out += digits[b >> 4];
    out += digits[b & 0xf];
  }
  return out;
}

/// How often, and how far apart, a commit or decision query is sent again
/// when its answer is lost.
constexpr unsigned resend_attempts = 4;
constexpr auto resend_pause = std::chrono::milliseconds{100};

/// One attempt of a cross-node transaction. Parts are in node-id order;
/// `txn_[i]` is part i's transaction (0: none begun in this attempt).
class attempt {
public:
  attempt(std::vector<node_part>& parts, std::vector<txn_options>& opts,
          const std::function<void(const std::string&)>& fault,
          txn_counters& counters)
    : parts_(parts),
      opts_(opts),
      fault_(fault),
      counters_(counters),
      txn_(parts.size(), 0),
      locked_(parts.size()),
      writes_(parts.size()) {
  }

  /// True if the error of `run` deserves another attempt.
  bool retry() const {
    return retry_;
  }

  caf::expected<records> run(const std::vector<entity_id>& ids,
                             const txn_body& body) {
    if (auto err = lock_all())
      return err;
    auto merged = merge(ids);
    if (auto err = run_body(merged, body))
      return err;
    std::vector<size_t> writing;
    for (size_t i = 0; i < parts_.size(); ++i)
      if (!writes_[i].empty())
        writing.push_back(i);
    if (writing.size() <= 1)
      return one_phase(writing, std::move(merged));
    return two_phase(writing, std::move(merged));
  }

private:
  /// Begins and locks at each node in turn, in node-id order: no cycle of
  /// waits can form across nodes; within a node wait-die decides.
  caf::error lock_all() {
    for (size_t i = 0; i < parts_.size(); ++i) {
      auto begun = parts_[i].conn->begin(opts_[i], parts_[i].ids);
      if (!begun) {
        release_all(); // a late answer is aborted by the client itself
        return std::move(begun.error());
      }
      opts_[i] = retry_options(opts_[i], begun->handle);
      if (begun->error) {
        retry_ = worth_retrying(begun->error);
        release_all();
        return std::move(begun->error);
      }
      txn_[i] = begun->handle.id;
      locked_[i] = std::move(begun->locked);
    }
    return {};
  }

  /// The locked records of every node, in the order of `ids`.
  records merge(const std::vector<entity_id>& ids) {
    std::map<entity_id, const record*> by_id;
    for (size_t i = 0; i < parts_.size(); ++i)
      for (auto& r : locked_[i]) {
        by_id[r.id] = &r;
        part_of_[r.id] = i;
      }
    records out;
    for (auto& id : ids)
      out.push_back(*by_id.at(id));
    return out;
  }

  /// Runs `body`; its writes grouped by node. Aborts everything if the body
  /// fails or throws.
  caf::error run_body(const records& merged, const txn_body& body) {
    transaction txn{merged};
    try {
      if (auto err = body(txn)) {
        release_all();
        return err;
      }
    } catch (...) {
      release_all();
      throw;
    }
    for (auto& w : txn.writes())
      writes_[part_of_.at(w.id)].push_back(std::move(w));
    return {};
  }

  /// No writes (everything released) or a single writing node, committed
  /// as on one node; the read-only nodes are released once it is decided.
  caf::expected<records> one_phase(const std::vector<size_t>& writing,
                                   records merged) {
    if (writing.empty()) {
      release_all();
      ++counters_.one_phase;
      return merged;
    }
    auto w = writing.front();
    auto done = parts_[w].conn->commit(txn_[w], writes_[w]);
    txn_[w] = 0; // a commit ends the transaction either way
    release_all();
    if (!done) {
      retry_ = worth_retrying(done.error());
      return std::move(done.error());
    }
    ++counters_.one_phase;
    return with_written(std::move(merged), std::move(*done));
  }

  /// Prepare every writing node but the holder (the first writing node),
  /// then the holder; the holder's commit as decision is the commit point.
  caf::expected<records> two_phase(const std::vector<size_t>& writing,
                                   records merged) {
    auto name = fresh_name();
    if (!name) {
      release_all();
      return std::move(name.error());
    }
    auto holder = writing.front();
    txn_prepare p{*name, {}, parts_[holder].address};
    for (auto i : writing)
      p.participants.push_back(parts_[i].address);
    std::vector<size_t> order(writing.begin() + 1, writing.end());
    order.push_back(holder);
    std::vector<size_t> prepared;
    for (auto i : order) {
      auto vote = parts_[i].conn->prepare(txn_[i], writes_[i], p);
      txn_[i] = 0; // from here on addressed by name only, or ended
      if (!vote || !*vote) {
        if (!vote && lost(vote.error()))
          prepared.push_back(i); // it may have prepared
        caf::error why = vote ? make_error(errc::aborted, "prepare refused")
                              : std::move(vote.error());
        retry_ = worth_retrying(why);
        abandon(*name, holder, prepared);
        return why;
      }
      prepared.push_back(i);
      if (prepared.size() == 1)
        fault("prepared_one");
    }
    fault("deciding");
    auto decided = decide_commit(*name, holder, prepared);
    if (!decided)
      return std::move(decided.error());
    fault("decided");
    auto written = std::move(*decided);
    bool all_acked = true;
    for (size_t k = 1; k < writing.size(); ++k) {
      auto done = commit_participant(*name, writing[k]);
      if (done)
        written.insert(written.end(), done->begin(), done->end());
      else
        all_acked = false; // it resolves itself through its dialer
      if (k + 1 < writing.size())
        fault("committed_one");
    }
    release_all();
    if (all_acked)
      parts_[holder].conn->forget_decision(*name);
    ++counters_.two_phase;
    return with_written(std::move(merged), std::move(written), writing);
  }

  /// The holder's commit as decision; if its answer is lost, the holder is
  /// asked for the outcome a few times: `in_doubt` if it stays unknown.
  caf::expected<records> decide_commit(const std::string& name, size_t holder,
                                       const std::vector<size_t>& prepared) {
    auto& at = *parts_[holder].conn;
    auto done = at.commit_prepared(name, true);
    if (done)
      return done;
    if (!lost(done.error())) {
      abandon(name, holder, prepared);
      return std::move(done.error());
    }
    for (unsigned n = 0; n < resend_attempts; ++n) {
      std::this_thread::sleep_for(resend_pause * (n + 1));
      auto outcome = at.decision_of(name);
      if (!outcome || *outcome == twopc_outcome::undecided)
        continue;
      if (*outcome == twopc_outcome::commit)
        return records{}; // committed: the holder's records are computed
      abandon(name, holder, prepared);
      return make_error(errc::aborted, "the decision holder aborted " + name);
    }
    release_all();
    ++counters_.in_doubt;
    return make_error(errc::in_doubt,
                      "the decision of 2PC transaction " + name + " at "
                        + parts_[holder].address
                        + " is unknown: it resolves when the holder answers");
  }

  /// Tells participant `i` the commit, a few times if the answer is lost.
  caf::expected<records> commit_participant(const std::string& name,
                                            size_t i) {
    caf::expected<records> done = make_error(errc::timeout);
    for (unsigned n = 0; n < resend_attempts; ++n) {
      if (n > 0)
        std::this_thread::sleep_for(resend_pause);
      done = parts_[i].conn->commit_prepared(name, false);
      if (done || !lost(done.error()))
        return done;
    }
    return done;
  }

  /// Presumed abort: the holder records the abort first, then the other
  /// prepared nodes discard theirs; every begun transaction is aborted.
  void abandon(const std::string& name, size_t holder,
               const std::vector<size_t>& prepared) {
    if (std::find(prepared.begin(), prepared.end(), holder) != prepared.end())
      parts_[holder].conn->abort_prepared(name);
    for (auto i : prepared)
      if (i != holder)
        parts_[i].conn->abort_prepared(name);
    release_all();
    ++counters_.aborted;
  }

  /// Aborts every transaction still begun (read-only nodes, failures).
  void release_all() {
    for (size_t i = 0; i < parts_.size(); ++i)
      if (txn_[i] != 0) {
        parts_[i].conn->abort(txn_[i]);
        txn_[i] = 0;
      }
  }

  /// `merged` with the records the commits answered. A node whose answer
  /// was empty (a resent commit, or a decision learnt by asking) gets the
  /// records its writes made: one version past the locked one.
  records with_written(records merged, records written,
                       const std::vector<size_t>& writing = {}) {
    std::map<entity_id, record> by_id;
    for (auto i : writing)
      for (auto& w : writes_[i]) {
        auto& was = *std::find_if(locked_[i].begin(), locked_[i].end(),
                                  [&](const record& r) { return r.id == w.id; });
        by_id[w.id] = record{w.id, was.version + 1,
                             w.erase ? std::string{} : w.value, w.erase};
      }
    for (auto& r : written)
      by_id[r.id] = std::move(r);
    for (auto& r : merged)
      if (auto i = by_id.find(r.id); i != by_id.end())
        r = i->second;
    return merged;
  }

  void fault(const std::string& step) {
    if (fault_)
      fault_(step);
  }

  std::vector<node_part>& parts_;
  std::vector<txn_options>& opts_;
  const std::function<void(const std::string&)>& fault_;
  txn_counters& counters_;
  std::vector<txn_id> txn_;
  std::vector<records> locked_;
  std::vector<std::vector<txn_write>> writes_;
  std::map<entity_id, size_t> part_of_;
  bool retry_ = false;
};

} // namespace

caf::expected<records>
cross_node_transact(std::vector<node_part> parts,
                    const std::vector<entity_id>& ids, const txn_body& body,
                    const txn_options& opts, const retry_policy& retry,
                    const std::function<void(const std::string&)>& fault,
                    txn_counters& counters) {
  // Each node keeps its own chain of attempts (ages are per node).
  auto fresh = opts;
  fresh.retry_of = 0;
  fresh.retry_token = 0;
  std::vector<txn_options> per_node(parts.size(), fresh);
  auto attempts = std::max(retry.max_attempts, 1u);
  caf::error last;
  for (unsigned n = 0; n < attempts; ++n) {
    if (n > 0)
      back_off(retry, n - 1);
    attempt a{parts, per_node, fault, counters};
    auto out = a.run(ids, body);
    if (out || !a.retry())
      return out;
    last = std::move(out.error());
  }
  return make_retries_exhausted_error(attempts, std::move(last));
}

txn_body batch_body(std::vector<write_op> ops) {
  return [ops = std::move(ops)](transaction& txn) -> caf::error {
    for (auto& op : ops) {
      auto current = txn.get(op.id);
      if (!current)
        return std::move(current.error());
      auto next = decide(*current, op);
      if (!next)
        return std::move(next.error());
      auto err = next->deleted ? txn.erase(op.id)
                               : txn.put(op.id, next->value);
      if (err)
        return err;
    }
    return {};
  };
}

} // namespace entact::detail
