#pragma once

#include <chrono>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <caf/scoped_actor.hpp>

#include "entact/engine.hpp"
#include "entact/interfaces.hpp"
#include "support/txn_helpers.hpp"

namespace entact::test {

/// Drives an interactive transaction by message, as an actor or a remote
/// client would: the scoped actor is the transaction's owner (if it goes
/// away, so must the locks).
struct txn_client {
  caf::scoped_actor self;
  coordinator_api coord;
  txn_handle handle;

  txn_client(engine& eng) : txn_client(eng.system(), eng.coordinator()) {
    // nop
  }

  /// An owner in actor system `sys` (e.g. a remote client's) talking to
  /// `coordinator` (e.g. that client's server).
  txn_client(caf::actor_system& sys, coordinator_api coordinator)
    : self(sys), coord(std::move(coordinator)) {
    // nop
  }

  template <class T, class... Ts>
  caf::expected<T> call(Ts&&... xs) {
    caf::expected<T> result = caf::sec::request_timeout;
    self->request(coord, std::chrono::seconds{30}, std::forward<Ts>(xs)...)
      .receive([&](T& x) { result = std::move(x); },
               [&](caf::error& err) { result = std::move(err); });
    return result;
  }

  caf::expected<txn_handle> begin(txn_options opts = {}) {
    auto h = call<txn_handle>(begin_atom::value, opts);
    if (h)
      handle = *h;
    return h;
  }

  caf::expected<std::vector<record>> lock(std::vector<entity_id> ids) {
    return call<std::vector<record>>(lock_atom::value, handle.id,
                                     std::move(ids));
  }

  caf::expected<std::vector<record>> commit(std::vector<txn_write> writes) {
    return call<std::vector<record>>(commit_atom::value, handle.id,
                                     std::move(writes));
  }

  caf::expected<bool> abort() {
    return call<bool>(abort_atom::value, handle.id);
  }
};

/// `opts` for a transaction older (under wait-die) than every one begun
/// after this call: the retry of an attempt begun and aborted now, which
/// keeps that attempt's age. Ages are the coordinator's to give, so this is
/// the one way for a transaction to be older than one begun before it.
/// `coord` may be a remote client's server, `sys` that client's system.
/// Throws if the coordinator refuses.
inline txn_options aged_opts(caf::actor_system& sys, coordinator_api coord,
                             txn_options opts) {
  txn_client reserve{sys, std::move(coord)};
  auto h = reserve.begin(opts);
  if (!h || !reserve.abort())
    throw std::runtime_error("cannot reserve an age");
  return retry_options(opts, *h);
}

inline txn_options aged_opts(engine& eng, txn_options opts) {
  return aged_opts(eng.system(), eng.coordinator(), opts);
}

} // namespace entact::test
