#include "workloads/w9_cross_node.hpp"

#include <algorithm>
#include <iostream>
#include <map>
#include <thread>

#include <entact/connect_cluster.hpp>
#include <entact/errc.hpp>

#include "harness/format.hpp"
#include "systems/cluster_child.hpp"
#include "systems/baselines.hpp"
#include "systems/drivers.hpp"

namespace bench {

namespace {

constexpr uint32_t w9_shards = 12;
constexpr uint64_t w9_initial_balance = 1000000;

/// The accounts grouped by the node owning them.
struct accounts_by_node {
  std::vector<std::vector<size_t>> of_node;
  std::vector<size_t> node_of; // per account: its index in of_node

  accounts_by_node(const cluster_child& cluster, const dataset& data) {
    std::map<std::string, size_t> index;
    for (size_t k = 0; k < data.size(); ++k) {
      auto& owner = cluster.owner_of(data.ids[k]);
      auto [it, fresh] = index.emplace(owner, of_node.size());
      if (fresh)
        of_node.emplace_back();
      of_node[it->second].push_back(k);
      node_of.push_back(it->second);
    }
  }
};

/// Two distinct accounts of one node, picked at random.
std::pair<size_t, size_t> same_node_pair(const accounts_by_node& a,
                                         std::mt19937_64& rng) {
  const std::vector<size_t>* node = nullptr;
  do
    node = &a.of_node[rng() % a.of_node.size()];
  while (node->size() < 2);
  auto from = (*node)[rng() % node->size()];
  auto to = from;
  while (to == from)
    to = (*node)[rng() % node->size()];
  return {from, to};
}

/// Two accounts of different nodes, picked at random.
std::pair<size_t, size_t> cross_node_pair(const accounts_by_node& a,
                                          std::mt19937_64& rng) {
  auto from = rng() % a.node_of.size();
  auto to = from;
  while (a.node_of[to] == a.node_of[from])
    to = rng() % a.node_of.size();
  return {from, to};
}

outcome transfer_outcome(const caf::error& err, slot& s) {
  switch (entact::code_of(err)) {
    case entact::errc::retries_exhausted:
    case entact::errc::conflict:
    case entact::errc::aborted:
    case entact::errc::lock_timeout:
      return outcome::gave_up; // definitely not applied
    default:
      if (s.first_error.empty())
        s.first_error = caf::to_string(err);
      return outcome::error;
  }
}

/// Blocking transfers between the pairs `pick` draws, from `w9_clients`
/// threads: lock both, read both, put both.
run_result run_transfers(
  const config& cfg, entact::database& db, const dataset& data,
  const std::function<std::pair<size_t, size_t>(std::mt19937_64&)>& pick) {
  auto vb = data.value_bytes;
  return run_closed(cfg.w9_clients, cfg.timing, [&](slot& s) {
    auto [i, j] = pick(s.rng);
    const auto& a = data.ids[i];
    const auto& b = data.ids[j];
    uint64_t amount = 1 + s.rng() % 100;
    auto res = db.transact({a, b}, [&](entact::transaction& txn) {
      auto ra = txn.get(a);
      if (!ra)
        return ra.error();
      auto rb = txn.get(b);
      if (!rb)
        return rb.error();
      auto from = parse_counter(ra->value);
      auto moved = std::min(amount, from);
      if (auto err = txn.put(a, counter_value(from - moved, vb)))
        return err;
      return txn.put(b, counter_value(parse_counter(rb->value) + moved, vb));
    });
    return res ? outcome::ok : transfer_outcome(res.error(), s);
  });
}

/// The total is unchanged and each committed transfer bumped two versions.
void verify_total(report& rep, entact::database& db, const dataset& data,
                  uint64_t committed) {
  uint64_t total = 0;
  uint64_t increments = 0;
  size_t unreadable = 0;
  for (const auto& id : data.ids) {
    auto r = db.read(id);
    if (!r || !r->exists()) {
      ++unreadable;
      continue;
    }
    total += parse_counter(r->value);
    increments += r->version - 1;
  }
  auto expected = w9_initial_balance * data.size();
  rep.verify("W9: balances sum unchanged",
             unreadable == 0 && total == expected
               && increments == 2 * committed,
             "sum of balances " + std::to_string(total) + " (expected "
               + std::to_string(expected) + "), version increments "
               + std::to_string(increments) + " for "
               + std::to_string(committed) + " committed transfers, "
               + std::to_string(unreadable) + " unreadable");
}

} // namespace

void run_cross_node(const config& cfg, report& rep) {
  auto cores = std::thread::hardware_concurrency();
  rep.begin("W9", "durable 2-entity transfers through connect_cluster on 3 "
                  "entactd nodes: both accounts on one node vs on two, "
                  "with ZooKeeper, all on this machine's "
                    + std::to_string(cores) + " cores, "
                    + std::to_string(cfg.w9_accounts) + " accounts");
  temp_dir dir{cfg.dir, "w9-cluster"};
  zookeeper_child zk{dir.path()};
  dataset data("w9", cfg.w9_accounts, cfg.value_bytes);
  cluster_child cluster{"W9", zk, dir.path(), "bank", 3, w9_shards};
  auto db = cluster.connect();
  cluster.create_all(*db, data.ids,
                     counter_value(w9_initial_balance, data.value_bytes));
  accounts_by_node nodes{cluster, data};
  if (nodes.of_node.size() < 2)
    throw std::runtime_error("W9: the accounts are not spread over nodes");

  auto before = *entact::cluster_txn_stats_of(*db);
  auto same = run_transfers(cfg, *db, data, [&](std::mt19937_64& rng) {
    return same_node_pair(nodes, rng);
  });
  print_run("same node", same);
  auto mid = *entact::cluster_txn_stats_of(*db);
  auto cross = run_transfers(cfg, *db, data, [&](std::mt19937_64& rng) {
    return cross_node_pair(nodes, rng);
  });
  print_run("cross node", cross);
  auto after = *entact::cluster_txn_stats_of(*db);

  verify_total(rep, *db, data, same.ok_total + cross.ok_total);
  rep.verify("W9: each run took the path it measures",
             mid.one_phase - before.one_phase == same.ok_total
               && mid.two_phase == before.two_phase
               && after.two_phase - mid.two_phase == cross.ok_total
               && after.in_doubt == 0,
             "same node: " + std::to_string(mid.one_phase - before.one_phase)
               + " one-phase commits for " + std::to_string(same.ok_total)
               + " transfers; cross node: "
               + std::to_string(after.two_phase - mid.two_phase)
               + " two-phase commits for " + std::to_string(cross.ok_total)
               + "; " + std::to_string(after.in_doubt) + " in doubt");
  rep.verify_no_errors("W9: no errors", {same, cross});
  auto note = std::to_string(cfg.w9_clients)
              + " threads, transact({a,b}) through connect_cluster, "
              + std::to_string(w9_shards) + " shards, sync on";
  rep.add({"W9", "same node", true, false, same, {}, note + ", one phase"});
  rep.add({"W9", "cross node", true, true, cross, {},
           note + ", two-phase commit"});
  auto ratio = same.ops_per_s() > 0 ? cross.ops_per_s() / same.ops_per_s()
                                    : 0;
  std::cout << "  cross node / same node: " << fmt(ratio, 2)
            << "x (a cross-node transfer locks at each node in turn, "
               "prepares at both, decides at the holder and commits at the "
               "other: more round trips and synced writes)"
            << std::endl;
}

} // namespace bench
