// cluster_bank: money moving between accounts on different nodes of a
// cluster, through `entact::connect_cluster`, while a node dies and comes
// back; the total never changes. run.sh beside this file starts everything
// (ZooKeeper, the cluster, 3 nodes on fixed loopback ports), kills a node
// with SIGKILL once half of the transfers are done, restarts it on its data
// directory and port, and stops everything it started; this program is the
// bank's clients and the check.
//
// N accounts ("acct/0".."acct/N-1", spread over the shards by their hash)
// start with 1000 each. K clients (one thread each) make random transfers:
// `transact({from, to}, body)`, the body moves 1..100 (at most what the
// source holds). Two accounts of different nodes commit in two phases
// (cross-node), two of one node in one. Each transfer ends as:
//
//   committed    acknowledged: applied on both accounts
//   refused      not applied (its node is down: `unavailable`; or retries
//                spent, aborted, a lock wait ran out)
//   unknown      the node or the decision holder died with the call in
//                flight (`unreachable`, `timeout`, `in_doubt`): applied on
//                both accounts or on neither, decided once the holder is
//                back
//
// At the end it waits (at most a minute) until no node holds a prepared
// transaction (given --nodes), reads every account and checks the total,
// and, unless some outcome is unknown, each balance against the ledger of
// committed transfers. It prints the client's cluster_txn_stats (one-phase,
// two-phase, aborted, in_doubt) and exits 1 if anything is wrong.
//
// Run it (from the source tree, after building with examples on):
//   bash examples/cluster_bank/run.sh --build=build --transfers=400
// or, on a cluster of your own:
//   ./examples/cluster_bank --cluster=127.0.0.1:2181/shop
//     --nodes=127.0.0.1:7411,127.0.0.1:7412,127.0.0.1:7413  (one line)
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <entact/client.hpp>
#include <entact/connect_cluster.hpp>

#include "support/command_line.hpp"
#include "support/ledger.hpp"
#include "support/problem_log.hpp"
#include "support/progress_line.hpp"
#include "support/records.hpp"
#include "support/transfers.hpp"

namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

constexpr int64_t initial_balance = 1000;

struct options {
  std::string cluster; // HOST:PORT/NAME
  std::string nodes;   // HOST:PORT,HOST:PORT,... (for the prepared check)
  std::string midway_file;
  unsigned accounts = 30;
  unsigned clients = 4;
  unsigned transfers = 400;

  void add_to(caf::config_option_adder& add) {
    add.add(cluster, "cluster", "the cluster: HOST:PORT/NAME of its ZooKeeper")
      .add(nodes, "nodes",
           "the nodes HOST:PORT,...: wait at the end until none holds a "
           "prepared transaction [none: skip]")
      .add(midway_file, "midway-file",
           "create this file once half of the transfers are done (run.sh "
           "kills a node then) [none]")
      .add(accounts, "accounts", "accounts, acct/0..N-1 [30]")
      .add(clients, "clients", "concurrent clients, one thread each [4]")
      .add(transfers, "transfers", "transfers in all, over the clients [400]");
  }

  std::string invalid() const {
    if (cluster.empty())
      return "--cluster=HOST:PORT/NAME is required";
    if (accounts < 2 || clients == 0 || transfers == 0)
      return "--accounts must be at least 2, --clients and --transfers 1";
    return {};
  }
};

using config = example::options_config<options>;

example::problem_log problems;

/// The transfers' outcomes, counted across the clients' threads and read
/// live by the progress line.
struct outcomes {
  std::atomic<uint64_t> done{0};
  std::atomic<uint64_t> committed{0};
  std::atomic<uint64_t> refused{0};
  std::atomic<uint64_t> unknown{0};
};

bool outcome_unknown(entact::errc c) {
  return c == entact::errc::unreachable || c == entact::errc::timeout
         || c == entact::errc::in_doubt || c == entact::errc::closed;
}

/// Definitely not applied: the node is down or fenced, the retries were
/// spent, the transaction aborted, a lock wait or lease ran out.
bool refused(entact::errc c) {
  switch (c) {
    case entact::errc::unavailable:
    case entact::errc::wrong_node:
    case entact::errc::retries_exhausted:
    case entact::errc::aborted:
    case entact::errc::conflict:
    case entact::errc::lock_timeout:
    case entact::errc::lease_expired:
      return true;
    default:
      return false;
  }
}

/// Sets every account to the initial balance, waiting (at most a minute)
/// for the cluster to have assigned its shards.
bool open_accounts(entact::database& db,
                   const std::vector<entact::entity_id>& ids) {
  auto deadline = clock_type::now() + 60s;
  for (auto& id : ids)
    for (;;) {
      auto w = db.write_unconditionally(id, std::to_string(initial_balance));
      if (w)
        break;
      auto c = entact::code_of(w.error());
      if ((c != entact::errc::unavailable && c != entact::errc::wrong_node)
          || clock_type::now() > deadline) {
        problems.add("open " + id, w.error());
        return false;
      }
      std::this_thread::sleep_for(50ms);
    }
  return true;
}

/// One transfer: moves up to `tr.amount` (what the source holds at most);
/// `moved` is what the committed attempt moved.
caf::expected<std::vector<entact::record>>
transfer_once(entact::database& db, const std::vector<entact::entity_id>& ids,
              const example::transfer& tr, int64_t& moved) {
  const auto& from = ids[tr.from];
  const auto& to = ids[tr.to];
  return db.transact({from, to}, [&](entact::transaction& t) -> caf::error {
    auto a = t.get(from);
    if (!a)
      return std::move(a.error());
    auto b = t.get(to);
    if (!b)
      return std::move(b.error());
    auto have = example::number_of(*a);
    auto got = example::number_of(*b);
    if (!have || !got)
      return entact::make_error(entact::errc::invalid_argument,
                                "a balance is not a number");
    moved = std::min(tr.amount, *have);
    if (auto err = t.put(from, std::to_string(*have - moved)))
      return err;
    return t.put(to, std::to_string(*got + moved));
  });
}

void client(entact::database& db, const std::vector<entact::entity_id>& ids,
            unsigned u, uint64_t count, outcomes& sum, example::ledger& book) {
  example::transfer_source source{u + 1, ids.size(), 100};
  for (uint64_t i = 0; i < count; ++i) {
    auto tr = source.next();
    int64_t moved = 0;
    auto done = transfer_once(db, ids, tr, moved);
    if (done) {
      ++sum.committed;
      book.transfer(u, tr.from, tr.to, moved);
    } else if (auto c = entact::code_of(done.error()); refused(c)) {
      ++sum.refused;
      if (c == entact::errc::unavailable)
        std::this_thread::sleep_for(10ms); // its node is down: no busy loop
    } else if (outcome_unknown(c)) {
      ++sum.unknown;
      book.outcome_unknown(u);
    } else {
      problems.add("transfer " + ids[tr.from] + " -> " + ids[tr.to],
                   done.error());
    }
    ++sum.done;
  }
}

/// Creates `path` (empty: nothing) once half of `total` is done.
void mark_midway(const std::string& path, const std::atomic<uint64_t>& done,
                 uint64_t total, const std::atomic<bool>& finished) {
  while (!finished && done.load() * 2 < total)
    std::this_thread::sleep_for(20ms);
  if (!path.empty())
    std::ofstream{path} << done.load() << "\n";
}

std::vector<std::string> split(const std::string& list) {
  std::vector<std::string> out;
  std::istringstream in{list};
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty())
      out.push_back(item);
  return out;
}

/// Prepared, undecided transactions on the node at `address`, or -1 if it
/// does not answer.
long prepared_at(const std::string& address) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos)
    return -1;
  entact::client_options co;
  co.host = address.substr(0, colon);
  co.port = static_cast<uint16_t>(std::stoul(address.substr(colon + 1)));
  co.request_timeout = 5s;
  co.connect_timeout = 2s;
  auto c = entact::connect(co);
  if (!c)
    return -1;
  auto list = (*c)->prepared_transactions();
  return list ? static_cast<long>(list->size()) : -1;
}

/// Waits (at most a minute) until none of `nodes` holds a prepared
/// transaction: every in-doubt transfer is decided.
bool wait_none_prepared(const std::vector<std::string>& nodes) {
  auto deadline = clock_type::now() + 60s;
  for (;;) {
    long sum = 0;
    for (auto& n : nodes) {
      auto k = prepared_at(n);
      sum += k < 0 ? 1 : k; // a node that does not answer is not done
    }
    if (sum == 0)
      return true;
    if (clock_type::now() > deadline) {
      problems.add("transactions still prepared after a minute");
      return false;
    }
    std::this_thread::sleep_for(100ms);
  }
}

/// Every balance, read once its node answers (at most a minute in all).
std::vector<std::optional<int64_t>>
read_balances(entact::database& db, const std::vector<entact::entity_id>& ids) {
  std::vector<std::optional<int64_t>> out;
  auto deadline = clock_type::now() + 60s;
  for (auto& id : ids) {
    auto r = db.get(id);
    while (!r && clock_type::now() < deadline) {
      std::this_thread::sleep_for(50ms);
      r = db.get(id);
    }
    if (!r)
      problems.add("final read " + id, r.error());
    out.push_back(r ? example::number_of(*r) : std::nullopt);
  }
  return out;
}

/// Holds the final balances against the total and, if every outcome is
/// known, the ledger.
bool check(entact::database& db, const std::vector<entact::entity_id>& ids,
           const example::ledger& book) {
  auto balances = read_balances(db, ids);
  auto expected = book.expected(initial_balance);
  int64_t total = 0;
  size_t differ = 0;
  bool complete = true;
  for (size_t i = 0; i < ids.size(); ++i) {
    complete = complete && balances[i].has_value();
    total += balances[i].value_or(0);
    differ += balances[i] != expected[i] ? 1 : 0;
  }
  auto want = initial_balance * static_cast<int64_t>(ids.size());
  std::printf("total %lld (expected %lld)%s\n", static_cast<long long>(total),
              static_cast<long long>(want),
              total == want ? "" : "  <-- VIOLATION");
  if (book.exact())
    std::printf("every balance as the ledger of committed transfers says: "
                "%s\n",
                differ == 0 ? "yes" : "NO  <-- VIOLATION");
  else
    std::printf("some outcomes unknown: balances checked by the total (each "
                "transfer all-or-nothing)\n");
  return complete && total == want && (differ == 0 || !book.exact());
}

} // namespace

int main(int argc, char** argv) {
  config cfg;
  if (auto status = example::parse_command_line(cfg, "cluster_bank", argc,
                                                argv))
    return *status;
  const options& opts = cfg.opts;
  // One client for all threads (it is thread-safe): one connection per node.
  auto db = entact::connect_cluster(opts.cluster);
  if (!db) {
    std::fprintf(stderr, "cannot reach the cluster %s: %s\n",
                 opts.cluster.c_str(),
                 example::describe(db.error()).c_str());
    return 1;
  }
  auto ids = example::ids_of("acct/", opts.accounts);
  if (!open_accounts(**db, ids))
    return example::verdict(false, problems, "");
  std::printf("%u clients, %u transfers between %u accounts on %s\n",
              opts.clients, opts.transfers, opts.accounts,
              opts.cluster.c_str());

  outcomes sum;
  example::ledger book{opts.clients, ids.size()};
  std::atomic<bool> finished{false};
  auto start = clock_type::now();
  std::thread midway{[&] {
    mark_midway(opts.midway_file, sum.done, opts.transfers, finished);
  }};
  {
    auto& stats_db = **db;
    example::progress_line progress{
      "transfers", "done", sum.done, opts.transfers, [&] {
        auto s = entact::cluster_txn_stats_of(stats_db).value_or(
          entact::cluster_txn_stats{});
        return std::to_string(sum.committed.load()) + " committed ("
               + std::to_string(s.two_phase) + " cross-node), "
               + std::to_string(sum.refused.load()) + " refused, "
               + std::to_string(sum.unknown.load()) + " unknown";
      }};
    std::vector<std::thread> clients;
    for (unsigned u = 0; u < opts.clients; ++u) {
      uint64_t share = opts.transfers / opts.clients
                       + (u < opts.transfers % opts.clients ? 1 : 0);
      clients.emplace_back([&, u, share] {
        client(**db, ids, u, share, sum, book);
      });
    }
    for (auto& t : clients)
      t.join();
  }
  finished = true;
  midway.join();
  std::chrono::duration<double> took = clock_type::now() - start;
  auto stats = entact::cluster_txn_stats_of(**db).value_or(
    entact::cluster_txn_stats{});
  std::printf("%llu transfers in %.1f s: %llu committed, %llu refused (a "
              "node down, or retries spent), %llu of unknown outcome\n",
              static_cast<unsigned long long>(sum.done.load()), took.count(),
              static_cast<unsigned long long>(sum.committed.load()),
              static_cast<unsigned long long>(sum.refused.load()),
              static_cast<unsigned long long>(sum.unknown.load()));
  std::printf("cluster_txn_stats: %llu committed cross-node (two-phase), "
              "%llu on one node (one-phase), %llu aborted after a prepare, "
              "%llu in_doubt\n",
              static_cast<unsigned long long>(stats.two_phase),
              static_cast<unsigned long long>(stats.one_phase),
              static_cast<unsigned long long>(stats.aborted),
              static_cast<unsigned long long>(stats.in_doubt));
  auto nodes = split(opts.nodes);
  bool settled = nodes.empty() || wait_none_prepared(nodes);
  if (!nodes.empty() && settled)
    std::printf("nothing prepared on any of the %zu nodes\n", nodes.size());
  bool ok = settled && check(**db, ids, book);
  return example::verdict(ok, problems,
                          "PASS: the total is unchanged, every transfer all "
                          "or nothing.");
}
