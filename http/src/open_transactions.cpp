#include "open_transactions.hpp"

#include <algorithm>
#include <chrono>
#include <unordered_map>
#include <unordered_set>

#include <caf/all.hpp>
#include <openssl/rand.h>

#include "entact/atoms.hpp"
#include "entact/decide.hpp"
#include "entact/errc.hpp"

namespace entact::http {

namespace {

using clock_type = std::chrono::steady_clock;

struct open_txn {
  txn_id id = 0;
  /// What the locks read, in the order `begin` named the ids.
  std::vector<record> locked;
  /// When the lease runs out: the coordinator aborts it then (its clock
  /// started a little earlier, so it never outlives this).
  clock_type::time_point deadline;
};

struct owner_state {
  std::unordered_map<std::string, open_txn> open;
  /// Begins sent to the coordinator and not yet answered: they hold a
  /// place in the table, so that `max_open` bounds them too.
  size_t pending = 0;
};

using owner_actor = caf::stateful_actor<owner_state>;

/// 128 bits from OpenSSL's CSPRNG (seeded by the OS), as hex: an id nobody
/// can guess, so one client cannot commit or abort another's transaction
/// (std::random_device's quality is implementation-defined).
caf::expected<std::string> random_id() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1)
    return make_error(errc::unavailable, "no random bytes for an id");
  static constexpr char digits[] = "0123456789abcdef";
  std::string id;
  for (auto b : bytes) {
    id += digits[b >> 4];
    id += digits[b & 0xf];
  }
  return id;
}

void forget_expired(owner_state& st) {
  auto now = clock_type::now();
  for (auto i = st.open.begin(); i != st.open.end();)
    i = i->second.deadline <= now ? st.open.erase(i) : std::next(i);
}

caf::error unknown(const std::string& id) {
  return make_error(errc::unknown_transaction,
                    "no open transaction " + id
                      + ": it committed, was aborted, its lease ran out, "
                        "or it never began");
}

/// The coordinator's writes for `ops`, each checked by the version rule
/// against what the lock read.
caf::expected<std::vector<txn_write>>
writes_of(const open_txn& t, const std::vector<write_op>& ops) {
  std::vector<txn_write> out;
  std::unordered_set<entity_id> seen;
  for (const auto& op : ops) {
    if (!seen.insert(op.id).second)
      return make_error(errc::invalid_argument, "two writes to " + op.id);
    auto rec = std::find_if(t.locked.begin(), t.locked.end(),
                            [&](const record& r) { return r.id == op.id; });
    if (rec == t.locked.end())
      return make_error(errc::invalid_argument,
                        "a write to " + op.id
                          + ", which the transaction did not lock");
    auto next = decide(*rec, op);
    if (!next)
      return next.error();
    out.push_back(txn_write{op.id, next->deleted, next->value});
  }
  return out;
}

/// `locked` with each committed record in place of the one read.
std::vector<record> merged(std::vector<record> locked,
                           const std::vector<record>& written) {
  for (auto& r : locked)
    for (const auto& w : written)
      if (w.id == r.id)
        r = w;
  return locked;
}

caf::behavior owner(owner_actor* self, coordinator_api coord, size_t max_open,
                    caf::timespan timeout) {
  return {
    [=](begin_atom, std::vector<entity_id>& ids, caf::timespan lease)
      -> caf::result<std::string, std::vector<record>> {
      auto& st = self->state;
      forget_expired(st);
      if (st.open.size() + st.pending >= max_open)
        return make_error(errc::overloaded,
                          "the gateway holds its most open transactions ("
                            + std::to_string(max_open)
                            + "): commit or abort one, or retry later");
      txn_options opts;
      opts.lease = lease;
      opts.lock_wait = std::min(opts.lock_wait, lease);
      ++st.pending;
      auto rp = self->make_response_promise();
      self->request(coord, timeout, begin_atom::value, opts, std::move(ids))
        .then(
          [=](txn_begun& b) mutable {
            --self->state.pending;
            if (b.error)
              return rp.deliver(std::move(b.error));
            auto id = random_id();
            if (!id) {
              caf::anon_send(coord, abort_atom::value, b.handle.id);
              return rp.deliver(id.error());
            }
            auto deadline = clock_type::now() + lease;
            self->state.open.emplace(*id,
                                     open_txn{b.handle.id, b.locked, deadline});
            rp.deliver(*id, std::move(b.locked));
          },
          [=](caf::error& err) mutable {
            --self->state.pending;
            rp.deliver(std::move(err));
          });
      return rp;
    },
    [=](commit_atom, const std::string& id, std::vector<write_op>& ops)
      -> caf::result<std::vector<record>> {
      auto& st = self->state;
      forget_expired(st);
      auto i = st.open.find(id);
      if (i == st.open.end())
        return unknown(id);
      auto t = std::move(i->second);
      st.open.erase(i);
      auto writes = writes_of(t, ops);
      if (!writes) {
        caf::anon_send(coord, abort_atom::value, t.id);
        return writes.error();
      }
      auto rp = self->make_response_promise();
      self->request(coord, timeout, commit_atom::value, t.id, *writes)
        .then(
          [=](std::vector<record>& written) mutable {
            rp.deliver(merged(t.locked, written));
          },
          [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
      return rp;
    },
    [=](abort_atom, const std::string& id) -> caf::result<bool> {
      auto& st = self->state;
      forget_expired(st);
      auto i = st.open.find(id);
      if (i == st.open.end())
        return unknown(id);
      auto tid = i->second.id;
      st.open.erase(i);
      auto rp = self->make_response_promise();
      self->request(coord, timeout, abort_atom::value, tid)
        .then([=](bool) mutable { rp.deliver(true); },
              [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
      return rp;
    },
  };
}

} // namespace

open_transactions::open_transactions(caf::actor_system& sys,
                                     coordinator_api coord, size_t max_open,
                                     caf::timespan call_timeout)
  : sys_(sys),
    // Hidden: the engine's close waits for its actors, not for this one.
    owner_(sys.spawn<caf::hidden>(owner, std::move(coord), max_open,
                                  call_timeout)),
    // The owner's own calls time out first and answer why.
    timeout_(call_timeout + std::chrono::seconds{5}) {
}

open_transactions::~open_transactions() {
  shutdown();
}

void open_transactions::shutdown() {
  std::unique_lock<std::shared_mutex> guard{mtx_};
  if (closed_)
    return;
  closed_ = true;
  caf::anon_send_exit(owner_, caf::exit_reason::user_shutdown);
  owner_ = nullptr;
}

namespace {

caf::error closed_error() {
  return make_error(errc::closed, "the engine is closed");
}

} // namespace

caf::expected<begun_txn> open_transactions::begin(std::vector<entity_id> ids,
                                                  caf::timespan lease) {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  if (closed_)
    return closed_error();
  caf::expected<begun_txn> out = make_error(errc::timeout);
  caf::scoped_actor self{sys_};
  self->request(owner_, timeout_, begin_atom::value, std::move(ids), lease)
    .receive(
      [&](std::string& id, std::vector<record>& recs) {
        out = begun_txn{std::move(id), std::move(recs)};
      },
      [&](caf::error& err) { out = std::move(err); });
  return out;
}

caf::expected<std::vector<record>>
open_transactions::commit(const std::string& id, std::vector<write_op> ops) {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  if (closed_)
    return closed_error();
  caf::expected<std::vector<record>> out = make_error(errc::timeout);
  caf::scoped_actor self{sys_};
  self->request(owner_, timeout_, commit_atom::value, id, std::move(ops))
    .receive([&](std::vector<record>& recs) { out = std::move(recs); },
             [&](caf::error& err) { out = std::move(err); });
  return out;
}

caf::error open_transactions::abort(const std::string& id) {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  if (closed_)
    return closed_error();
  caf::error out;
  caf::scoped_actor self{sys_};
  self->request(owner_, timeout_, abort_atom::value, id)
    .receive([](bool) {}, [&](caf::error& err) { out = std::move(err); });
  return out;
}

} // namespace entact::http
