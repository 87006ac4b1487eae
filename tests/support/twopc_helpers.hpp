#pragma once

#include <chrono>
#include <memory>
#include <ostream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "entact/engine.hpp"
#include "entact/twopc.hpp"
#include "support/engine_fixture.hpp"
#include "support/txn_client.hpp"

// What the two-phase-commit participant tests share: two engines on their
// own directories as participants "A" and "B", and a prepare driven by
// message as a coordinator would drive it.

namespace entact {

inline std::ostream& operator<<(std::ostream& os, twopc_outcome x) {
  return os << to_string(x);
}

} // namespace entact

namespace entact::test {

/// An engine fixture with a participant name (and its options to adjust
/// before `reopen`). As decision holder it waits an hour before it
/// presumes an undecided transaction aborted: however slow the machine, a
/// test sees `undecided` where it expects it, unless it shortens the wait.
struct participant : engine_fixture {
  explicit participant(std::string name) {
    opts.twopc_name = std::move(name);
    opts.twopc_decision_wait = std::chrono::hours{1};
    reopen();
  }

  coordinator_api coord() {
    return db().coordinator();
  }
};

/// Participants "A" and "B"; A holds the decision.
inline txn_prepare prepare_as(std::string name) {
  return {std::move(name), {"A", "B"}, "A"};
}

/// Locks `id` in a new transaction at `eng` and prepares `value` for it
/// as `p`: the answer of the prepare (`true`, or why not). The owner (the
/// client's scoped actor) is gone once this returns, which must not end a
/// prepared transaction.
inline caf::expected<bool> prepare_write(engine& eng, const entity_id& id,
                                         std::string value, txn_prepare p,
                                         txn_options opts = {}) {
  txn_client c{eng};
  if (auto h = c.begin(opts); !h)
    return std::move(h.error());
  if (auto l = c.lock({id}); !l)
    return std::move(l.error());
  return c.call<bool>(prepare_atom::value, c.handle.id,
                      std::vector<txn_write>{{id, false, std::move(value)}},
                      std::move(p));
}

/// One 2PC call by name at `eng`'s coordinator.
template <class T, class... Ts>
caf::expected<T> by_name(engine& eng, Ts&&... xs) {
  txn_client c{eng};
  return c.call<T>(std::forward<Ts>(xs)...);
}

inline caf::expected<std::vector<record>>
commit_prepared(engine& eng, const std::string& name, bool as_decision) {
  return by_name<std::vector<record>>(eng, commit_prepared_atom::value, name,
                                      as_decision);
}

inline caf::expected<bool> abort_prepared(engine& eng,
                                          const std::string& name) {
  return by_name<bool>(eng, abort_prepared_atom::value, name);
}

inline caf::expected<twopc_outcome> decision_of(engine& eng,
                                                const std::string& name) {
  return by_name<twopc_outcome>(eng, decision_atom::value, name);
}

/// What went wrong, for a failed check's message ("ok" if nothing).
template <class T>
std::string why(const caf::expected<T>& x) {
  return x ? std::string{"ok"} : to_string(x.error());
}

/// The names prepared at `eng` (throws if it cannot say).
inline std::vector<std::string> prepared_names(engine& eng) {
  auto list = eng.prepared_transactions();
  if (!list)
    throw std::runtime_error("prepared_transactions: "
                             + to_string(list.error()));
  std::vector<std::string> names;
  for (auto& p : *list)
    names.push_back(p.name);
  return names;
}

/// The value of `id` as `get` answers it ("" if absent, throws on error).
inline std::string value_of(engine& eng, const entity_id& id) {
  auto r = eng.get(id);
  if (!r)
    throw std::runtime_error("get " + id + ": " + to_string(r.error()));
  return r->value;
}

} // namespace entact::test
