#include "history/checker.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

namespace entact::test::history {

namespace {

/// A record of the model, its value interned (0 is the empty value).
struct state {
  version_t version = no_version;
  int value = 0;
  bool deleted = false;

  bool exists() const noexcept {
    return version != no_version && !deleted;
  }

  bool operator==(const state& x) const noexcept {
    return version == x.version && value == x.value && deleted == x.deleted;
  }
};

/// An operation as the search sees it.
struct step {
  action act = action::read;
  outcome res = outcome::ok;
  version_t expected = no_version;
  int value = 0;
  state seen;
  nanos invoke = 0;
  nanos response = never;
  /// Must be linearized (its outcome is known).
  bool known = true;
  /// Indices of the steps that must come first (session order).
  std::vector<size_t> preds;
};

/// Values by number and numbers by value. A modification's result is made
/// during the search, from the state it is tried on: it may be new.
struct value_table {
  std::map<std::string, int> ids{{"", 0}};
  std::vector<std::string> texts{""};

  int intern(const std::string& s) {
    auto [i, added] = ids.emplace(s, static_cast<int>(texts.size()));
    if (added)
      texts.push_back(s);
    return i->second;
  }
};

struct compiled {
  std::vector<step> steps; // by invocation
  std::vector<const key_op*> source; // the op of each step
  size_t known = 0;
  /// Grows while the search runs (see `value_table`).
  mutable value_table values;
};

compiled compile(std::vector<const key_op*> ops, bool session_order) {
  std::stable_sort(ops.begin(), ops.end(), [](auto* x, auto* y) {
    return x->invoke < y->invoke;
  });
  compiled c;
  auto intern = [&](const std::string& s) { return c.values.intern(s); };
  std::unordered_map<uint64_t, size_t> index;
  for (auto* op : ops) {
    step s;
    s.act = op->act;
    s.res = op->res;
    s.expected = op->expected;
    s.value = intern(op->value);
    s.seen = state{op->seen.version, intern(op->seen.value), op->seen.deleted};
    s.invoke = op->invoke;
    s.known = op->res != outcome::unknown;
    s.response = s.known ? op->response : never;
    c.known += s.known ? 1 : 0;
    index.emplace(op->id, c.steps.size());
    c.steps.push_back(std::move(s));
    c.source.push_back(op);
  }
  if (session_order)
    for (size_t i = 0; i < ops.size(); ++i)
      for (auto id : ops[i]->after)
        if (auto j = index.find(id); j != index.end() && j->second != i)
          c.steps[i].preds.push_back(j->second);
  return c;
}

state next(const state& s, const step& o, value_table& values) {
  if (o.act == action::modify_append) {
    auto base = s.exists() ? values.texts[size_t(s.value)] : std::string{};
    return state{s.version + 1, values.intern(base + values.texts[size_t(o.value)]),
                 false};
  }
  bool erase = o.act == action::erase_if_version;
  return state{s.version + 1, erase ? 0 : o.value, erase};
}

/// Whether `o` can take effect on `s` with the outcome it had, and the
/// state after it. Mirrors `entact::decide` (and, for a modification, the
/// built-in `append`).
bool apply(const step& o, const state& s, state& out, value_table& values) {
  out = s;
  if (o.act == action::read)
    return o.res == outcome::absent ? !s.exists()
                                   : o.res == outcome::ok && s == o.seen;
  bool conflict = false;
  bool not_found = false;
  switch (o.act) {
    case action::update_if_version:
    case action::erase_if_version:
      conflict = s.version != o.expected;
      not_found = !conflict && !s.exists();
      break;
    case action::create_if_absent:
      conflict = s.exists();
      break;
    default:
      break;
  }
  switch (o.res) {
    case outcome::conflict:
      return conflict;
    case outcome::not_found:
      return not_found;
    case outcome::ok:
    case outcome::unknown:
      if (conflict || not_found)
        return false;
      out = next(s, o, values);
      return o.res == outcome::unknown || out == o.seen;
    case outcome::absent:
      break;
  }
  return false;
}

/// Depth-first search over (linearized set, state), memoised. A step that
/// leaves the state as it is (a read, a refused write) and fits now is
/// linearized at once without branching: taking it early only relaxes what
/// the others must wait for. Only writes branch, and a write that
/// succeeded names its version, so their order is mostly forced.
class searcher {
public:
  searcher(const compiled& c, const check_options& opts)
    : c_(c), opts_(opts), words_((c.steps.size() + 63) / 64) {
    // nop
  }

  check_result run() {
    bool ok = search(bits(words_, 0), state{}, 0);
    check_result r;
    r.steps = steps_;
    r.v = ok ? verdict::linearizable
         : out_of_budget_ ? verdict::undecided
                          : verdict::not_linearizable;
    return r;
  }

  /// After a failed run: where the search got furthest, the steps open
  /// there that nothing precedes, and the known one that must come first
  /// (the earliest response).
  std::vector<size_t> frontier(state& at, size_t& linearized) const {
    at = best_state_;
    linearized = best_known_;
    std::vector<size_t> open;
    if (best_done_.empty())
      return open;
    candidates(best_done_, open);
    size_t first = c_.steps.size();
    for (size_t i = 0; i < c_.steps.size(); ++i)
      if (!test(best_done_, i) && c_.steps[i].known
          && (first == c_.steps.size()
              || c_.steps[i].response < c_.steps[first].response))
        first = i;
    if (first < c_.steps.size()
        && std::find(open.begin(), open.end(), first) == open.end())
      open.push_back(first);
    return open;
  }

private:
  using bits = std::vector<uint64_t>;

  struct config {
    bits done;
    state s;
    bool operator==(const config& x) const {
      return s == x.s && done == x.done;
    }
  };

  struct config_hash {
    size_t operator()(const config& x) const noexcept {
      uint64_t h = x.s.version * 0x9E3779B97F4A7C15ull
                   ^ (uint64_t(x.s.value) << 1) ^ (x.s.deleted ? 1 : 0);
      for (auto w : x.done)
        h = (h ^ w) * 0x100000001B3ull;
      return static_cast<size_t>(h);
    }
  };

  static bool test(const bits& b, size_t i) {
    return (b[i / 64] >> (i % 64)) & 1u;
  }

  static void set(bits& b, size_t i) {
    b[i / 64] |= uint64_t{1} << (i % 64);
  }

  size_t first_open(const bits& done) const {
    for (size_t w = 0; w < done.size(); ++w)
      if (~done[w] != 0)
        return std::min(w * 64 + __builtin_ctzll(~done[w]), c_.steps.size());
    return c_.steps.size();
  }

  /// Steps nothing still open precedes in real time: invoked before the
  /// earliest response of an open step with a known outcome.
  void candidates(const bits& done, std::vector<size_t>& out) const {
    out.clear();
    nanos earliest = never;
    for (size_t i = first_open(done); i < c_.steps.size(); ++i) {
      auto& o = c_.steps[i];
      if (o.invoke > earliest)
        break;
      if (test(done, i))
        continue;
      out.push_back(i);
      if (o.known)
        earliest = std::min(earliest, o.response);
    }
  }

  /// 0: a predecessor with a known outcome is open (not yet); 1: all done;
  /// 2: only predecessors of unknown outcome are open (they must then be
  /// dropped: they never took effect).
  int preds_state(const bits& done, const step& o) const {
    int r = 1;
    for (auto p : o.preds)
      if (!test(done, p)) {
        if (c_.steps[p].known)
          return 0;
        r = 2;
      }
    return r;
  }

  void closure(bits& done, state& s, size_t& known_done) {
    std::vector<size_t> open;
    for (bool progressed = true; progressed;) {
      progressed = false;
      candidates(done, open);
      for (auto i : open) {
        auto& o = c_.steps[i];
        state out;
        if (preds_state(done, o) != 1 || !apply(o, s, out, c_.values) || !(out == s))
          continue; // the state changes: that is a branch, not a given
        set(done, i);
        known_done += o.known ? 1 : 0;
        progressed = true;
      }
    }
  }

  bool search(bits done, state s, size_t known_done) {
    if (out_of_budget_ || ++steps_ > opts_.step_budget) {
      out_of_budget_ = true;
      return false;
    }
    closure(done, s, known_done);
    if (known_done == c_.known)
      return true;
    if (best_done_.empty() || known_done > best_known_) {
      best_known_ = known_done;
      best_done_ = done;
      best_state_ = s;
    }
    if (!seen_.insert(config{done, s}).second)
      return false;
    std::vector<size_t> open;
    candidates(done, open);
    for (auto i : open) {
      auto& o = c_.steps[i];
      auto ready = preds_state(done, o);
      state out;
      if (ready == 0 || !apply(o, s, out, c_.values) || (ready == 1 && out == s))
        continue; // not yet, does not fit, or the closure took it already
      auto nd = done;
      set(nd, i);
      for (auto p : o.preds)
        set(nd, p);
      if (search(std::move(nd), out, known_done + (o.known ? 1 : 0)))
        return true;
      if (out_of_budget_)
        return false;
    }
    return false;
  }

  const compiled& c_;
  const check_options& opts_;
  size_t words_;
  uint64_t steps_ = 0;
  bool out_of_budget_ = false;
  std::unordered_set<config, config_hash> seen_;
  size_t best_known_ = 0;
  bits best_done_;
  state best_state_;
};

using selection = std::vector<const key_op*>;

verdict verdict_of(const selection& ops, check_options opts, bool session) {
  opts.session_order = session;
  auto c = compile(ops, session);
  return searcher{c, opts}.run().v;
}

/// `ops` without those `gone` marks.
selection kept(const selection& ops, const std::vector<bool>& gone) {
  selection r;
  for (size_t i = 0; i < ops.size(); ++i)
    if (!gone[i])
      r.push_back(ops[i]);
  return r;
}

bool keeps_state(const key_op& op) {
  return op.act == action::read || op.res == outcome::conflict
         || op.res == outcome::not_found;
}

/// The writes of `h` next to the core: see `explanation::context`.
std::vector<key_op> context_of(const key_history& h,
                               const std::vector<key_op>& core) {
  std::set<uint64_t> in_core;
  std::set<uint64_t> waited_for;
  std::set<version_t> versions;
  for (auto& op : core) {
    in_core.insert(op.id);
    waited_for.insert(op.after.begin(), op.after.end());
    if (op.res == outcome::ok) {
      versions.insert(op.seen.version);
      versions.insert(op.seen.version + 1);
      if (op.act != action::read)
        versions.insert(op.seen.version - 1);
    }
  }
  std::vector<key_op> r;
  for (auto& w : h.ops) {
    if (w.act == action::read || in_core.count(w.id) > 0 || r.size() >= 10)
      continue;
    bool near = w.res == outcome::ok && versions.count(w.seen.version) > 0;
    bool unknown_seen = false;
    for (auto& c : core)
      unknown_seen = unknown_seen
                     || (w.res == outcome::unknown && c.res == outcome::ok
                         && !c.seen.deleted && w.value == c.seen.value);
    if (near || unknown_seen || waited_for.count(w.id) > 0)
      r.push_back(w);
  }
  return r;
}

std::string time_of(nanos t) {
  if (t == never)
    return "      open";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%10.3f", static_cast<double>(t) / 1e6);
  return buf;
}

std::string line_of(const key_op& op, bool core,
                    const std::set<uint64_t>& shown) {
  std::string s = core ? "  * [" : "    [";
  s += time_of(op.invoke) + "," + time_of(op.res == outcome::unknown
                                             ? never
                                             : op.response);
  s += "] t" + std::to_string(op.thread) + " #" + std::to_string(op.id) + " "
       + describe_call(op) + " -> " + describe_outcome(op);
  std::string waits;
  for (auto id : op.after)
    if (shown.count(id) > 0)
      waits += " #" + std::to_string(id);
  if (!waits.empty())
    s += "   (must follow" + waits + ")";
  return s + "\n";
}

} // namespace

const char* to_string(verdict x) noexcept {
  switch (x) {
    case verdict::linearizable:
      return "linearizable";
    case verdict::not_linearizable:
      return "NOT linearizable";
    case verdict::undecided:
      return "undecided (step budget spent)";
  }
  return "?";
}

check_result check(const key_history& h, const check_options& opts) {
  selection ops;
  for (auto& op : h.ops)
    ops.push_back(&op);
  auto c = compile(std::move(ops), opts.session_order);
  return searcher{c, opts}.run();
}

explanation explain(const key_history& h, const check_options& opts) {
  explanation e;
  selection all;
  for (auto& op : h.ops)
    all.push_back(&op);
  std::stable_sort(all.begin(), all.end(), [](auto* x, auto* y) {
    return x->invoke < y->invoke;
  });
  if (verdict_of(all, opts, opts.session_order) != verdict::not_linearizable)
    return e;
  e.session_only = opts.session_order
                   && verdict_of(all, opts, false) == verdict::linearizable;
  // A real-time failure is shown without the session order: it needs none.
  bool session = e.session_only;
  auto fails = [&](const std::vector<bool>& gone) {
    return verdict_of(kept(all, gone), opts, session)
           == verdict::not_linearizable;
  };
  // Drop reads and refusals while it still fails, in halving chunks
  // (delta debugging). Dropping one only removes a constraint, so what
  // remains fails for a reason the full history has too.
  std::vector<size_t> removable;
  for (size_t i = 0; i < all.size(); ++i)
    if (keeps_state(*all[i]))
      removable.push_back(i);
  std::vector<bool> gone(all.size(), false);
  for (size_t chunk = std::max<size_t>(1, removable.size() / 2);;
       chunk /= 2) {
    std::vector<size_t> left;
    for (auto i : removable)
      if (!gone[i])
        left.push_back(i);
    for (size_t from = 0; from < left.size(); from += chunk) {
      auto trial = gone;
      for (size_t j = from; j < std::min(left.size(), from + chunk); ++j)
        trial[left[j]] = true;
      if (fails(trial))
        gone = std::move(trial);
    }
    if (chunk == 1)
      break;
  }
  for (auto i : removable)
    if (!gone[i])
      e.core.push_back(*all[i]);
  // The search's furthest point in what is left: where it got stuck.
  auto sel = kept(all, gone);
  auto c = compile(sel, session);
  check_options o = opts;
  o.session_order = session;
  searcher s{c, o};
  s.run();
  state at;
  auto front = s.frontier(at, e.linearized);
  e.total = c.known;
  e.stuck_at = record{h.key, at.version, {}, at.deleted};
  for (auto& op : h.ops)
    if (op.res == outcome::ok && op.act != action::read
        && op.seen.version == at.version)
      e.stuck_at.value = op.seen.value;
  // The writes open there are the core only if the writes alone fail;
  // else only those known to have taken effect are worth showing.
  std::vector<key_op> open;
  for (auto i : front)
    if (open.size() < 8 && !keeps_state(*c.source[i])
        && (e.core.empty() || c.source[i]->res == outcome::ok))
      open.push_back(*c.source[i]);
  auto& into = e.core.empty() ? e.core : e.context;
  into.insert(into.end(), open.begin(), open.end());
  auto near = context_of(h, e.core);
  for (auto& op : near)
    if (std::none_of(e.context.begin(), e.context.end(),
                     [&](auto& x) { return x.id == op.id; }))
      e.context.push_back(op);
  return e;
}

std::string render(const std::string& key, const explanation& e) {
  std::string s = "key " + key + ": NOT linearizable";
  s += e.session_only
         ? " (only with the session order: a call on the entity did not wait "
           "for this thread's earlier apply_async)\n"
         : " (in real time: a read went back in time)\n";
  s += "  the search linearized at most " + std::to_string(e.linearized)
       + " of " + std::to_string(e.total) + " operations, up to v"
       + std::to_string(e.stuck_at.version)
       + (e.stuck_at.deleted ? " (deleted)"
                             : " \"" + e.stuck_at.value + "\"")
       + "\n  times in ms since the start. * marks the reads and refusals that "
         "admit no linearization\n  with the key's writes (or, if none, the "
         "writes open where the search got stuck);\n  the others are writes "
         "next to them: what they saw or missed, waited for, or open there\n";
  std::vector<std::pair<const key_op*, bool>> lines;
  std::set<uint64_t> shown;
  for (auto& op : e.core)
    lines.emplace_back(&op, true);
  for (auto& op : e.context)
    lines.emplace_back(&op, false);
  for (auto& l : lines)
    shown.insert(l.first->id);
  std::stable_sort(lines.begin(), lines.end(), [](auto& x, auto& y) {
    return x.first->invoke < y.first->invoke;
  });
  for (auto& [op, core] : lines)
    s += line_of(*op, core, shown);
  return s;
}

} // namespace entact::test::history
