// entact cluster: the admin commands of a cluster kept in ZooKeeper.
//
//   entact cluster create --zk=127.0.0.1:2181 --cluster=shop --shards=8
//   entact cluster status --zk=127.0.0.1:2181 --cluster=shop [--json]
//                         [--member-timeout-ms=2000]
//   entact cluster assign --zk=127.0.0.1:2181 --cluster=shop [--json]
//   entact cluster move --zk=... --cluster=shop --shard=3 --to=n2 [--wait-ms=N]
//   entact cluster move --zk=... --cluster=shop --shard=3 --abort
//   entact cluster rebalance --zk=... --cluster=shop [--dry-run] [--drain=n3]
//
// Exit codes as the rest of the CLI: 0 done, 1 the cluster exists already
// (create), another admin kept changing the map (assign), a move of the
// shard is in progress or was abandoned (move), 2 no such cluster (or no
// move to abort), 3 ZooKeeper unreachable or a node not live (status: a
// live member did not answer; all else is printed), 4 malformed data in
// ZooKeeper, 64 usage.

#include "cluster_cli.hpp"

#include <chrono>
#include <iostream>
#include <map>
#include <set>
#include <string>

#include <caf/actor_system_config.hpp>
#include <caf/settings.hpp>
#include <nlohmann/json.hpp>

#include "cluster_prepared.hpp"
#include "entact/cluster/cluster_admin.hpp"
#include "entact/cluster/cluster_names.hpp"
#include "entact/cluster/move_admin.hpp"
#include "entact/cluster/rebalance.hpp"
#include "entact/errc.hpp"

namespace entact::apps {

namespace {

constexpr int exit_ok = 0;
constexpr int exit_conflict = 1;
constexpr int exit_not_found = 2;
constexpr int exit_unreachable = 3;
constexpr int exit_server_error = 4;
constexpr int exit_usage = 64;

const char* usage_text
  = "usage: entact cluster create --zk=HOST:PORT --cluster=NAME --shards=N\n"
    "       entact cluster status --zk=HOST:PORT --cluster=NAME [--json]\n"
    "                             [--member-timeout-ms=N]\n"
    "       entact cluster assign --zk=HOST:PORT --cluster=NAME [--json]\n"
    "       entact cluster move --zk=HOST:PORT --cluster=NAME --shard=S\n"
    "                           (--to=NODE [--wait-ms=N] | --abort) [--json]\n"
    "       entact cluster rebalance --zk=HOST:PORT --cluster=NAME [--dry-run]\n"
    "                                [--drain=NODE] [--wait-ms=N] [--json]\n"
    "  create  makes the cluster (the shard count is fixed from then on)\n"
    "  status  lists live members, shards per node, the map with epochs,\n"
    "          moves, and each member's prepared (in-doubt) transactions;\n"
    "          exit 3 if a member did not answer within --member-timeout-ms\n"
    "  assign  gives shards never owned yet to live members, balanced\n"
    "  move    starts moving shard S to live member NODE (the nodes copy it\n"
    "          while it is written, then the map flips); --wait-ms waits\n"
    "          for the end; --abort ends a move in progress, S staying put\n"
    "  rebalance  moves shards, one at a time, until the live members own\n"
    "          equal shares (--drain: NODE owns none); --dry-run only prints\n"
    "          the plan; --wait-ms bounds each move (default 120000)\n";

class cluster_cli_config : public caf::actor_system_config {
public:
  std::string zk;
  std::string cluster;
  uint32_t shards = 0;
  bool json = false;
  size_t timeout_ms = 10000;
  int64_t shard = -1;
  std::string to;
  bool dry_run = false;
  std::string drain;
  bool abort = false;
  size_t wait_ms = 0;
  size_t member_timeout_ms = 2000;

  cluster_cli_config() {
    opt_group{custom_options_, "global"}
      .add(zk, "zk", "ZooKeeper's address, HOST:PORT")
      .add(cluster, "cluster", "the cluster's name")
      .add(shards, "shards", "create: the number of shards (fixed)")
      .add(json, "json", "print one JSON object")
      .add(timeout_ms, "timeout-ms", "deadline of connecting to ZooKeeper")
      .add(shard, "shard", "move: the shard")
      .add(to, "to", "move: the live member to move it to")
      .add(dry_run, "dry-run", "rebalance: print the plan, move nothing")
      .add(drain, "drain", "rebalance: move every shard off this member")
      .add(abort, "abort", "move: end the move in progress of --shard")
      .add(wait_ms, "wait-ms", "move: wait this long for the move to end")
      .add(member_timeout_ms, "member-timeout-ms",
           "status: deadline of connecting to each member, and of its answer");
  }
};

int exit_code_of(const caf::error& err) {
  switch (code_of(err)) {
    case errc::conflict:
    case errc::retries_exhausted:
    case errc::timeout:
      return exit_conflict;
    case errc::not_found:
      return exit_not_found;
    case errc::unavailable:
      return exit_unreachable;
    case errc::invalid_argument:
      return exit_usage;
    default:
      return exit_server_error;
  }
}

int report_error(const caf::error& err, bool json) {
  auto text = to_string(err);
  if (json)
    std::cout << nlohmann::json{{"error", to_string(code_of(err))},
                                {"detail", text}}
                   .dump()
              << '\n';
  std::cerr << "entact cluster: " << text << '\n';
  return exit_code_of(err);
}

nlohmann::json moves_json(const std::vector<cluster::move_entry>& moves) {
  auto out = nlohmann::json::array();
  for (auto& m : moves)
    out.push_back({{"shard", m.shard},
                   {"from", m.record.from},
                   {"to", m.record.to},
                   {"epoch", m.record.epoch},
                   {"state", to_string(m.record.state)}});
  return out;
}

nlohmann::json view_json(const cluster::cluster_view& view) {
  std::map<std::string, int> owned;
  auto map = nlohmann::json::array();
  for (auto& e : view.map) {
    bool live = view.is_live(e.record.owner);
    if (live)
      ++owned[e.record.owner];
    map.push_back({{"shard", e.shard},
                   {"owner", e.record.owner},
                   {"epoch", e.record.epoch},
                   {"live", live}});
  }
  auto members = nlohmann::json::array();
  for (auto& m : view.members)
    members.push_back({{"node_id", m.node_id},
                       {"address", m.address},
                       {"shards", owned[m.node_id]}});
  return {{"cluster", view.name},
          {"shards", view.shards},
          {"members", members},
          {"map", map}};
}

/// Prints the view; with `status` (its JSON, members answered), how many
/// transactions each member holds prepared, or that it did not answer.
void print_view(const cluster::cluster_view& view,
                const std::vector<cluster::move_entry>& moves,
                const nlohmann::json* status = nullptr) {
  auto j = status ? *status : view_json(view);
  std::cout << "cluster " << view.name << ": " << view.shards << " shards, "
            << view.members.size() << " live members\n";
  for (auto& m : j["members"]) {
    std::cout << "member " << m["node_id"].get<std::string>() << " at "
              << m["address"].get<std::string>() << ": "
              << m["shards"].get<int>() << " shards";
    if (status && m["answered"].get<bool>())
      std::cout << ", " << m["prepared_count"].get<size_t>() << " prepared";
    else if (status)
      std::cout << ", no answer (" << m["error"].get<std::string>() << ')';
    std::cout << '\n';
  }
  for (auto& e : j["map"]) {
    auto owner = e["owner"].get<std::string>();
    std::cout << "shard " << e["shard"].get<uint32_t>() << ": "
              << (owner.empty() ? "-" : owner) << " epoch "
              << e["epoch"].get<uint64_t>()
              << (e["live"].get<bool>() ? "" : " (no live owner)") << '\n';
  }
  for (auto& m : moves)
    std::cout << "move of shard " << m.shard << ": " << m.record.from
              << " -> " << m.record.to << " (" << to_string(m.record.state)
              << ", begun at epoch " << m.record.epoch << ")\n";
}

/// Most prepared transactions listed per member, and ids per transaction
/// (the counts are always given).
constexpr size_t max_listed_prepared = 100;
constexpr size_t max_listed_ids = 8;

/// The live member whose address is 2PC name `holder`, or "".
std::string node_of(const cluster::cluster_view& view,
                    const std::string& holder) {
  for (auto& m : view.members)
    if (m.address == holder)
      return m.node_id;
  return {};
}

nlohmann::json prepared_json(const cluster::cluster_view& view,
                             const prepared_info& p) {
  auto ids = nlohmann::json::array();
  for (size_t i = 0; i < p.ids.size() && i < max_listed_ids; ++i)
    ids.push_back(p.ids[i]);
  auto holder_node = node_of(view, p.decision_holder);
  return {{"name", p.name},
          {"holder", p.decision_holder},
          {"holder_node", holder_node},
          {"holder_live", !holder_node.empty()},
          {"participants", p.participants},
          {"ids", ids},
          {"id_count", p.ids.size()},
          {"created_ms", p.created_ms},
          {"age_ms", p.age_ms},
          {"asks", p.asks},
          {"last_answer", p.last_answer}};
}

/// `j` (a view's JSON) with what each member answered.
void add_prepared(nlohmann::json& j, const cluster::cluster_view& view,
                  const std::vector<member_prepared>& asked) {
  size_t total = 0;
  auto unanswered = nlohmann::json::array();
  for (size_t i = 0; i < asked.size(); ++i) {
    auto& a = asked[i];
    auto& m = j["members"][i];
    m["answered"] = a.answered;
    if (!a.answered) {
      m["error"] = a.error;
      unanswered.push_back(a.node_id);
      continue;
    }
    auto list = nlohmann::json::array();
    for (size_t k = 0; k < a.prepared.size() && k < max_listed_prepared; ++k)
      list.push_back(prepared_json(view, a.prepared[k]));
    m["prepared_count"] = a.prepared.size();
    m["prepared"] = list;
    total += a.prepared.size();
  }
  j["prepared_total"] = total;
  j["unanswered"] = unanswered;
}

void print_prepared(const nlohmann::json& member) {
  auto node = member["node_id"].get<std::string>();
  for (auto& p : member["prepared"]) {
    std::cout << "prepared at " << node << ": " << p["name"].get<std::string>()
              << ", holder " << p["holder"].get<std::string>() << " ("
              << (p["holder_live"].get<bool>()
                    ? p["holder_node"].get<std::string>()
                    : std::string{"not a live member"})
              << "), " << p["id_count"].get<size_t>() << " ids:";
    for (auto& id : p["ids"])
      std::cout << ' ' << id.get<std::string>();
    if (p["id_count"].get<size_t>() > p["ids"].size())
      std::cout << " ...";
    std::cout << ", age " << p["age_ms"].get<int64_t>() << " ms, asked "
              << p["asks"].get<uint64_t>() << " times";
    auto last = p["last_answer"].get<std::string>();
    if (!last.empty())
      std::cout << " (last answer: " << last << ')';
    std::cout << '\n';
  }
  auto count = member["prepared_count"].get<size_t>();
  if (count > member["prepared"].size())
    std::cout << "... and " << count - member["prepared"].size()
              << " more prepared at " << node << '\n';
}

/// `status`: the view and the moves from ZooKeeper, then each member's
/// prepared transactions. Exit 3 if a member did not answer.
int run_status(const cluster_cli_config& cfg, cluster::zk_session& zk) {
  auto view = cluster::read_cluster(zk, cfg.cluster);
  if (!view)
    return report_error(view.error(), cfg.json);
  auto moves = cluster::read_moves(zk, cfg.cluster);
  if (!moves)
    return report_error(moves.error(), cfg.json);
  auto asked = ask_members(*view,
                           std::chrono::milliseconds{cfg.member_timeout_ms});
  auto j = view_json(*view);
  j["moves"] = moves_json(*moves);
  add_prepared(j, *view, asked);
  if (cfg.json) {
    std::cout << j.dump() << '\n';
  } else {
    print_view(*view, *moves, &j);
    for (auto& m : j["members"])
      if (m["answered"].get<bool>())
        print_prepared(m);
    std::cout << "prepared transactions: " << j["prepared_total"].get<size_t>()
              << (j["unanswered"].empty() ? "" : " (members not answering "
                                                 "not counted)")
              << '\n';
  }
  for (auto& a : asked)
    if (!a.answered)
      std::cerr << "entact cluster: member " << a.node_id << " at "
                << a.address << " did not answer: " << a.error << '\n';
  return j["unanswered"].empty() ? exit_ok : exit_unreachable;
}

/// Waits (at most `cfg.wait_ms`) for the move of `cfg.shard` to end;
/// reports where the shard is then.
int wait_for_move(const cluster_cli_config& cfg, cluster::zk_session& zk) {
  auto shard = static_cast<uint32_t>(cfg.shard);
  auto moved = cluster::await_move_to(zk, cfg.cluster, shard, cfg.to,
                                      std::chrono::milliseconds{cfg.wait_ms});
  if (!moved)
    return report_error(moved.error(), cfg.json);
  auto& rec = moved->record;
  if (cfg.json)
    std::cout << nlohmann::json{{"moved", shard},
                                {"owner", rec.owner},
                                {"epoch", rec.epoch}}
                   .dump()
              << '\n';
  else
    std::cout << "shard " << shard << " moved to " << rec.owner
              << " at epoch " << rec.epoch << '\n';
  return exit_ok;
}

int run_move(const cluster_cli_config& cfg, cluster::zk_session& zk) {
  auto shard = static_cast<uint32_t>(cfg.shard);
  if (cfg.abort) {
    if (auto err = cluster::abort_move(zk, cfg.cluster, shard))
      return report_error(err, cfg.json);
    if (cfg.json)
      std::cout << nlohmann::json{{"aborted", shard}}.dump() << '\n';
    else
      std::cout << "aborted the move of shard " << shard << '\n';
    return exit_ok;
  }
  auto move = cluster::start_move(zk, cfg.cluster, shard, cfg.to);
  if (!move)
    return report_error(move.error(), cfg.json);
  if (cfg.wait_ms > 0)
    return wait_for_move(cfg, zk);
  if (cfg.json)
    std::cout << moves_json({*move}).front().dump() << '\n';
  else
    std::cout << "moving shard " << shard << " from " << move->record.from
              << " to " << move->record.to << '\n';
  return exit_ok;
}

/// The longest --wait-ms: a day (a deadline beyond it is a typo, and its
/// sum with the clock must not overflow).
constexpr size_t max_wait_ms = 86'400'000;

/// `rebalance` waits this long for each move unless --wait-ms says: a move
/// back to a node that gave the shard away lately waits for its old
/// entity actors to go (60 s by default; README, "Moving a shard").
constexpr size_t default_rebalance_wait_ms = 120'000;

nlohmann::json plan_json(const cluster::rebalance_plan& plan) {
  auto moves = nlohmann::json::array();
  for (auto& m : plan.moves)
    moves.push_back({{"shard", m.shard}, {"from", m.from}, {"to", m.to}});
  auto unavailable = nlohmann::json::array();
  for (auto& s : plan.unavailable)
    unavailable.push_back({{"shard", s.shard}, {"owner", s.owner}});
  return {{"plan", moves},
          {"unavailable", unavailable},
          {"unowned", plan.unowned},
          {"shares", plan.shares},
          {"moved", nlohmann::json::array()}};
}

void print_plan(const cluster::cluster_view& view,
                const cluster::rebalance_plan& plan) {
  std::cout << "rebalance of " << view.name << ": " << view.shards
            << " shards, " << view.members.size() << " live members, "
            << plan.moves.size() << " moves\n";
  for (auto& m : plan.moves)
    std::cout << "move shard " << m.shard << ": " << m.from << " -> " << m.to
              << '\n';
  for (auto& s : plan.unavailable)
    std::cout << "shard " << s.shard << ": unavailable, owner " << s.owner
              << " down (left on it: its data is only there)\n";
  for (auto s : plan.unowned)
    std::cout << "shard " << s << ": never owned (`entact cluster assign` "
              << "gives it out)\n";
  std::cout << "shares after:";
  for (auto& [node, n] : plan.shares)
    std::cout << ' ' << node << ' ' << n;
  std::cout << '\n';
}

/// A rebalance stopped by the failure `err` of the move `m`, after `done`
/// moves (in `out`, the JSON so far).
int rebalance_stopped(const cluster_cli_config& cfg, nlohmann::json& out,
                      const cluster::planned_move& m, size_t done,
                      const caf::error& err) {
  auto why = "rebalance stopped at the move of shard "
             + std::to_string(m.shard) + " (" + m.from + " -> " + m.to
             + ") after " + std::to_string(done) + " of "
             + std::to_string(out["plan"].size())
             + " moves; run it again to go on: " + to_string(err);
  if (cfg.json) {
    out["error"] = to_string(code_of(err));
    out["detail"] = why;
    std::cout << out.dump() << '\n';
  }
  std::cerr << "entact cluster: " << why << '\n';
  return exit_code_of(err);
}

/// `rebalance`: waits for the moves in progress to end, plans
/// (rebalance_plan.hpp) and prints the plan, then, unless --dry-run, runs
/// its moves one at a time through the move records, each reported when
/// its map flipped. Stops at the first move that fails, with its exit code
/// (1 abandoned, still in progress or the map changed, 3 a node not live);
/// run again, it plans from where it stopped. Exit 3 too if --drain names
/// a node that is down yet owns shards (nothing moved).
int run_rebalance(const cluster_cli_config& cfg, cluster::zk_session& zk) {
  auto wait = std::chrono::milliseconds{
    cfg.wait_ms > 0 ? cfg.wait_ms : default_rebalance_wait_ms};
  if (!cfg.dry_run)
    if (auto err = cluster::await_moves_end(zk, cfg.cluster, wait))
      return report_error(err, cfg.json);
  auto view = cluster::read_cluster(zk, cfg.cluster);
  if (!view)
    return report_error(view.error(), cfg.json);
  auto moves = cluster::read_moves(zk, cfg.cluster);
  if (!moves)
    return report_error(moves.error(), cfg.json);
  std::set<std::string> drain;
  if (!cfg.drain.empty())
    drain.insert(cfg.drain);
  auto plan = cluster::plan_rebalance(*view, drain);
  if (!plan)
    return report_error(plan.error(), cfg.json);
  for (auto& s : plan->unavailable)
    if (s.owner == cfg.drain)
      return report_error(
        make_error(errc::unavailable,
                   "cannot drain " + s.owner + ": it is not a live member "
                     + "and owns shard " + std::to_string(s.shard)
                     + ", whose data is only in its store"),
        cfg.json);
  auto out = plan_json(*plan);
  out["cluster"] = cfg.cluster;
  out["dry_run"] = cfg.dry_run;
  out["moves_in_progress"] = moves_json(*moves);
  if (!cfg.json) {
    print_plan(*view, *plan);
    for (auto& m : *moves)
      std::cout << "move of shard " << m.shard << " in progress: "
                << m.record.from << " -> " << m.record.to
                << " (a rebalance waits for it, then plans)\n";
  }
  for (size_t i = 0; i < plan->moves.size() && !cfg.dry_run; ++i) {
    auto& m = plan->moves[i];
    auto done = cluster::run_planned_move(zk, cfg.cluster, m, wait);
    if (!done)
      return rebalance_stopped(cfg, out, m, i, done.error());
    out["moved"].push_back({{"shard", m.shard},
                            {"owner", done->record.owner},
                            {"epoch", done->record.epoch}});
    if (!cfg.json)
      std::cout << "shard " << m.shard << " moved to " << done->record.owner
                << " at epoch " << done->record.epoch << std::endl;
  }
  if (cfg.json)
    std::cout << out.dump() << '\n';
  else if (cfg.dry_run)
    std::cout << "dry run: nothing moved\n";
  else
    std::cout << "rebalanced: " << plan->moves.size() << " moves\n";
  return exit_ok;
}

int run(const std::string& command, const cluster_cli_config& cfg,
        cluster::zk_session& zk) {
  if (command == "create") {
    if (auto err = cluster::create_cluster(zk, cfg.cluster, cfg.shards))
      return report_error(err, cfg.json);
    if (cfg.json)
      std::cout << nlohmann::json{{"created", cfg.cluster},
                                  {"shards", cfg.shards}}
                     .dump()
                << '\n';
    else
      std::cout << "created cluster " << cfg.cluster << " with "
                << cfg.shards << " shards\n";
    return exit_ok;
  }
  if (command == "rebalance")
    return run_rebalance(cfg, zk);
  if (command == "move")
    return run_move(cfg, zk);
  if (command == "status")
    return run_status(cfg, zk);
  auto view = cluster::assign_unowned(zk, cfg.cluster);
  if (!view)
    return report_error(view.error(), cfg.json);
  auto moves = cluster::read_moves(zk, cfg.cluster);
  if (!moves)
    return report_error(moves.error(), cfg.json);
  if (cfg.json) {
    auto j = view_json(*view);
    j["moves"] = moves_json(*moves);
    std::cout << j.dump() << '\n';
  } else {
    print_view(*view, *moves);
  }
  return exit_ok;
}

int usage(const std::string& why) {
  std::cerr << "entact cluster: " << why << "\n" << usage_text;
  return exit_usage;
}

} // namespace

int cluster_main(int argc, char** argv) {
  // CAF's parser stops at the first positional argument: options go first
  // so that they may follow the command too.
  caf::actor_system_config::string_list args;
  caf::actor_system_config::string_list positional;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    (arg.rfind("--", 0) == 0 ? args : positional).push_back(std::move(arg));
  }
  args.insert(args.end(), positional.begin(), positional.end());
  cluster_cli_config cfg;
  if (auto err = cfg.parse(std::move(args)))
    return usage(caf::actor_system_config::render(err));
  if (cfg.cli_helptext_printed || caf::get_or(cfg.content, "help", false)) {
    std::cout << usage_text;
    return exit_ok;
  }
  if (cfg.remainder.size() != 1)
    return usage("one command: create, status, assign, move or rebalance");
  auto command = cfg.remainder.front();
  if (command != "create" && command != "status" && command != "assign"
      && command != "move" && command != "rebalance")
    return usage("unknown command '" + command.substr(0, 64) + "'");
  if (auto err = cluster::validate_address(cfg.zk))
    return usage("--zk: " + to_string(err));
  if (auto err = cluster::validate_cluster_name(cfg.cluster))
    return usage("--cluster: " + to_string(err));
  if (command == "create"
      && (cfg.shards == 0 || cfg.shards > cluster::max_shards))
    return usage("--shards must be 1.." + std::to_string(cluster::max_shards));
  if (command == "move") {
    if (cfg.shard < 0 || cfg.shard >= int64_t{cluster::max_shards})
      return usage("--shard must be 0.."
                   + std::to_string(cluster::max_shards - 1));
    if (cfg.abort != cfg.to.empty())
      return usage("move needs either --to=NODE or --abort");
    if (!cfg.abort)
      if (auto err = cluster::validate_node_id(cfg.to))
        return usage("--to: " + to_string(err));
  }
  if (command == "rebalance" && !cfg.drain.empty())
    if (auto err = cluster::validate_node_id(cfg.drain))
      return usage("--drain: " + to_string(err));
  if (cfg.wait_ms > max_wait_ms)
    return usage("--wait-ms must be at most " + std::to_string(max_wait_ms));
  if (cfg.timeout_ms == 0)
    return usage("--timeout-ms must not be 0");
  if (cfg.member_timeout_ms == 0 || cfg.member_timeout_ms > 600'000)
    return usage("--member-timeout-ms must be 1..600000");
  cluster::zk_session::options opts;
  opts.hosts = cfg.zk;
  opts.connect_timeout = std::chrono::milliseconds{cfg.timeout_ms};
  auto zk = cluster::zk_session::open(std::move(opts));
  if (!zk)
    return report_error(zk.error(), cfg.json);
  return run(command, cfg, **zk);
}

} // namespace entact::apps
