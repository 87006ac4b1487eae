#pragma once

// A bank whose transfers can be audited after crashes (test_cluster_bank_kill,
// test_remote_span_crash): each account's value is "BALANCE;TAG;TAG..." and
// a transfer appends its tag to both of its accounts, so what is stored
// tells, per transfer, whether it was applied on both accounts, on one, or
// on neither.

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "entact/database.hpp"
#include "entact/errc.hpp"
#include "support/wait_until.hpp"

namespace entact::test {

/// What a client was told about one transfer.
enum class told { acknowledged, unknown, refused };

struct sent_transfer {
  std::string from;
  std::string to;
  long amount = 0;
  told answer = told::refused;
};

/// An account as stored: its balance and the tags of the transfers applied
/// to it.
struct account_value {
  long balance = 0;
  std::vector<std::string> tags;
};

inline account_value parse_account(const std::string& value) {
  account_value out;
  std::istringstream in{value};
  std::string part;
  std::getline(in, part, ';');
  out.balance = std::stol(part);
  while (std::getline(in, part, ';'))
    out.tags.push_back(part);
  return out;
}

/// The answers whose outcome nobody knows: the server died or a decision
/// holder did not answer with the call in flight.
inline bool outcome_unknown(errc code) {
  return code == errc::in_doubt || code == errc::unreachable
         || code == errc::timeout || code == errc::closed;
}

/// `value` with `delta` added to its balance and `tag` appended.
inline std::string moved(const std::string& value, long delta,
                         const std::string& tag) {
  auto semicolon = std::min(value.find(';'), value.size());
  return std::to_string(parse_account(value).balance + delta)
         + value.substr(semicolon) + ";" + tag;
}

/// Moves `amount` from `from` to `to` in one transaction, tagging both
/// with `tag`.
inline caf::expected<std::vector<record>>
tagged_transfer(database& db, const std::string& from, const std::string& to,
                long amount, const std::string& tag) {
  return db.transact({from, to}, [&](transaction& t) -> caf::error {
    auto a = t.get(from);
    auto b = t.get(to);
    if (!a || !b)
      return make_error(errc::invalid_argument, "not locked");
    if (auto err = t.put(from, moved(a->value, -amount, tag)))
      return err;
    return t.put(to, moved(b->value, amount, tag));
  });
}

/// The seed of a randomised test: ENTACT_TEST_SEED if set (a replay), else
/// a fresh one; printed either way, as "`program` `test`: seed N".
inline unsigned seed_of_this_run(const char* program, const char* test) {
  unsigned seed = 0;
  if (const char* s = std::getenv("ENTACT_TEST_SEED"))
    seed = static_cast<unsigned>(std::strtoul(s, nullptr, 10));
  else
    seed = std::random_device{}();
  std::printf("%s %s: seed %u (ENTACT_TEST_SEED=%u replays it)\n", program,
              test, seed, seed);
  std::fflush(stdout);
  return seed;
}

/// The accounts, each with its owner: the node or the partition it lives
/// in (transfers between owners are what the tests are after).
struct bank {
  std::vector<std::string> all;
  std::map<std::string, std::string> owner;
};

/// `clients` threads of tagged transfers between two different accounts
/// of `b` through `db`, until `stop`: across owners, and of those within
/// one owner `same_owner_percent` % are kept too. Client k's i-th transfer
/// is tagged `tag_prefix` + "k.i" and kept in `sent[k][i]` with its answer.
/// With `end_when_unreachable`, a client ends at its first `unreachable`
/// (a server that is gone for good: a single server's client does not
/// reconnect), rather than spinning on calls that fail at once.
class bank_traffic {
public:
  bank_traffic(database& db, const bank& b, unsigned clients,
               unsigned same_owner_percent, std::mt19937& rng,
               std::string tag_prefix = "c", bool end_when_unreachable = false)
    : sent(clients), prefix_(std::move(tag_prefix)) {
    for (unsigned k = 0; k < clients; ++k)
      threads_.emplace_back([&, k, same_owner_percent, end_when_unreachable,
                             s = rng()] {
        std::mt19937 r{s};
        while (!stop_.load()) {
          sent_transfer t{b.all[r() % b.all.size()], b.all[r() % b.all.size()],
                          1 + static_cast<long>(r() % 9)};
          if (t.from == t.to
              || (b.owner.at(t.from) == b.owner.at(t.to)
                  && r() % 100 >= same_owner_percent))
            continue;
          auto done = tagged_transfer(db, t.from, t.to, t.amount,
                                      tag_of(k, sent[k].size()));
          if (done) {
            t.answer = told::acknowledged;
            ++acknowledged_;
          } else {
            t.answer = outcome_unknown(code_of(done.error())) ? told::unknown
                                                               : told::refused;
          }
          sent[k].push_back(t);
          if (end_when_unreachable && !done
              && code_of(done.error()) == errc::unreachable)
            return;
        }
      });
  }

  ~bank_traffic() {
    stop();
  }

  bank_traffic(const bank_traffic&) = delete;
  bank_traffic& operator=(const bank_traffic&) = delete;

  /// Waits (at most 60 s) until `n` more transfers are acknowledged.
  bool some_more(uint64_t n = 10) {
    auto base = acknowledged_.load();
    return wait_until([&] { return acknowledged_.load() >= base + n; },
                      std::chrono::seconds{60}, std::chrono::milliseconds{10});
  }

  /// Stops the clients and waits for their last transfers' answers.
  void stop() {
    stop_ = true;
    for (auto& t : threads_)
      if (t.joinable())
        t.join();
  }

  /// The tag of client k's i-th transfer.
  std::string tag_of(size_t k, size_t i) const {
    return prefix_ + std::to_string(k) + "." + std::to_string(i);
  }

  /// Written by client k's thread only, read once `stop` returned.
  std::vector<std::vector<sent_transfer>> sent;

private:
  std::string prefix_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> acknowledged_{0};
  std::vector<std::thread> threads_;
};

/// How the transfers `check_transfers` looked at were answered.
struct transfer_counts {
  size_t acknowledged = 0;
  size_t unknown = 0;
  size_t unknown_applied = 0;
  size_t refused = 0;
  size_t same_owner = 0;
};

/// Checks `stored` (each account of `b` -> its value) against what the
/// stopped `traffic` sent, every account having started at `initial`: the
/// total exact; every transfer applied on both of its accounts once or on
/// neither, every acknowledged one applied, every refused one not, no tag
/// that no client sent; each balance what its applied transfers add up to.
inline transfer_counts
check_transfers(const std::map<std::string, std::string>& stored,
                const bank& b, const std::vector<const bank_traffic*>& traffic,
                long initial) {
  std::map<std::string, account_value> accounts;
  std::map<std::string, std::multiset<std::string>> tagged; // tag -> ids
  long total = 0;
  for (auto& id : b.all) {
    accounts[id] = parse_account(stored.at(id));
    total += accounts[id].balance;
    for (auto& tag : accounts[id].tags)
      tagged[tag].insert(id);
  }
  BOOST_TEST(total == initial * static_cast<long>(b.all.size()));

  std::map<std::string, long> expected;
  for (auto& id : b.all)
    expected[id] = initial;
  transfer_counts n;
  for (auto* run : traffic)
    for (size_t k = 0; k < run->sent.size(); ++k)
      for (size_t i = 0; i < run->sent[k].size(); ++i) {
        auto& t = run->sent[k][i];
        auto tag = run->tag_of(k, i);
        if (b.owner.at(t.from) == b.owner.at(t.to))
          ++n.same_owner;
        auto found = tagged.find(tag);
        bool applied = found != tagged.end();
        if (applied) {
          BOOST_TEST(
            (found->second == std::multiset<std::string>{t.from, t.to}),
            tag << " is applied on exactly its two accounts, once");
          expected[t.from] -= t.amount;
          expected[t.to] += t.amount;
          tagged.erase(found);
        }
        switch (t.answer) {
          case told::acknowledged:
            ++n.acknowledged;
            BOOST_TEST(applied, tag << " was acknowledged and must be stored");
            break;
          case told::refused:
            ++n.refused;
            BOOST_TEST(!applied, tag << " was refused and must not be stored");
            break;
          case told::unknown:
            ++n.unknown;
            n.unknown_applied += applied ? 1 : 0;
            break;
        }
      }
  BOOST_TEST(tagged.empty(), "no transfer stored that no client made");
  for (auto& id : b.all)
    BOOST_TEST(accounts[id].balance == expected[id], id);
  return n;
}

/// Every id of `ids` locked and written at once (no lock left behind):
/// each value written back unchanged.
inline caf::expected<std::vector<record>>
touch_all(database& db, const std::vector<std::string>& ids) {
  return db.transact(ids, [&](transaction& t) -> caf::error {
    for (auto& id : ids) {
      auto r = t.get(id);
      if (!r)
        return std::move(r.error());
      if (auto err = t.put(id, r->value))
        return err;
    }
    return {};
  });
}

} // namespace entact::test
