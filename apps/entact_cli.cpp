// entact: the command-line client of an `entactd` server, over
// `entact::client`, or of a cluster of them, over `entact::connect_cluster`
// (--cluster): the commands take an `entact::database` either way.
//
//   entact get acct/1
//   entact put acct/1 100 --if-absent        (or --if-version=N, or --force)
//   entact delete acct/1 --if-version=2
//   entact txn acct/1=70 acct/2=130
//   entact modify counter/1 add 5
//   entact scan --prefix=acct/ --limit=50 [--after=acct/17] [--all]
//   entact stats
//   entact --json --port=7411 get acct/1
//   entact --tls-ca=ca.pem [--tls-cert=me.pem --tls-key=me.key] get acct/1
//   entact --cluster=127.0.0.1:2181/shop txn acct/1=70 acct/2=130
//
// Options go through CAF's config system; `--help` lists them, the commands
// and the exit codes. The command line is parsed by cli/parse_args. Results go to stdout; errors to stderr (with --json,
// errors reported by the server are JSON objects on stdout as well).

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <caf/actor_system_config.hpp>

#include "cli/error_detail.hpp"
#include "cli/exit_codes.hpp"
#include "cli/parse_args.hpp"
#include "entact/client.hpp"
#include "entact/connect_cluster.hpp"
#include "entact/not_found.hpp"
#include "cluster_cli.hpp"
#include "entact/register_types.hpp"

namespace {

using namespace entact::cli;

// -- output -------------------------------------------------------------------

/// A JSON string literal of the bytes `str`: `"` and `\` escaped, control
/// characters, DEL and bytes >= 0x80 as `\u00XX` (one per byte).
std::string json_string(std::string_view str) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out = "\"";
  for (char ch : str) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c >= 0x7f) {
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 0xf];
        } else {
          out += ch;
        }
    }
  }
  out += '"';
  return out;
}

std::string json_record(const entact::record& r) {
  return "{\"id\":" + json_string(r.id)
         + ",\"version\":" + std::to_string(r.version)
         + ",\"value\":" + json_string(r.value)
         + ",\"deleted\":" + (r.deleted ? "true" : "false") + "}";
}

std::string human_record(const entact::record& r) {
  std::string out = r.id + "  v" + std::to_string(r.version) + "  ";
  if (r.deleted)
    out += "(deleted)";
  else if (r.version == entact::no_version)
    out += "(absent)";
  else
    out += r.value;
  return out;
}

void print_record(const entact::record& r, bool json) {
  std::cout << (json ? json_record(r) : human_record(r)) << '\n';
}

int exit_code_of(entact::errc code) {
  switch (code) {
    case entact::errc::none: return exit_ok;
    case entact::errc::conflict: return exit_conflict;
    case entact::errc::not_found: return exit_not_found;
    case entact::errc::unreachable:
    case entact::errc::timeout: return exit_unreachable;
    default: return exit_server_error;
  }
}

/// Reports `err` (about `id`, if known) and returns its exit code.
int report(const caf::error& err, const std::string& id, bool json,
           size_t timeout_ms) {
  auto code = entact::code_of(err);
  if (auto c = entact::conflict_of(err)) {
    if (json) {
      std::cout << "{\"error\":\"conflict\",\"id\":" << json_string(c->id)
                << ",\"expected_version\":" << c->expected_version
                << ",\"stored\":" << json_record(c->stored)
                << ",\"attempted_value\":" << json_string(c->attempted_value)
                << "}\n";
    } else {
      std::cerr << "entact: conflict on " << c->id << ": ";
      if (c->attempted_kind == entact::op_kind::create_if_absent)
        std::cerr << "expected it absent";
      else
        std::cerr << "expected v" << c->expected_version;
      std::cerr << ", stored is v" << c->stored.version
                << (c->stored.deleted ? " (deleted)" : "") << "; stored:\n"
                << human_record(c->stored) << '\n';
    }
    return exit_conflict;
  }
  auto stored = entact::stored_of(err);
  if (code == entact::errc::not_found && stored) {
    // Like a conflict: what is stored (the tombstone and its version, or
    // version 0 for an entity that never existed).
    if (json)
      std::cout << "{\"error\":\"not_found\",\"id\":"
                << json_string(stored->id)
                << ",\"stored\":" << json_record(*stored)
                << ",\"message\":"
                << json_string(stored->deleted ? "deleted" : "never existed")
                << "}\n";
    else
      std::cerr << "entact: not_found: " << stored->id << "; stored:\n"
                << human_record(*stored) << '\n';
    return exit_not_found;
  }
  auto detail = detail_of(err);
  if (code == entact::errc::timeout)
    detail = "no answer within " + std::to_string(timeout_ms)
             + " ms (a write's outcome is unknown: read before retrying)"
             + (detail.empty() ? "" : "; " + detail);
  if (json) {
    std::cout << "{\"error\":" << json_string(entact::to_string(code));
    if (!id.empty())
      std::cout << ",\"id\":" << json_string(id);
    std::cout << ",\"message\":" << json_string(detail) << "}\n";
  } else {
    std::cerr << "entact: " << entact::to_string(code);
    if (!detail.empty())
      std::cerr << ": " << detail;
    std::cerr << '\n';
  }
  return exit_code_of(code);
}

/// A page of a scan: its records one per line (with --json one object,
/// `{"records":[...],"next_after":...}`, as the HTTP API answers).
void print_page(const entact::scan_page& page, bool json) {
  if (!json) {
    for (const auto& r : page.records)
      print_record(r, false);
    return;
  }
  std::cout << "{\"records\":[";
  for (size_t i = 0; i < page.records.size(); ++i)
    std::cout << (i > 0 ? "," : "") << json_record(page.records[i]);
  std::cout << "],\"next_after\":"
            << (page.next_after ? json_string(*page.next_after) : "null")
            << "}\n";
}

// -- running ------------------------------------------------------------------

/// `scan`: the first page, or with --all every page, each from one
/// snapshot of the server's store (not one snapshot for all of them).
int run_scan(entact::database& db, const command& cmd, const cli_config& cfg) {
  auto req = cmd.scan;
  for (;;) {
    auto page = db.scan(req);
    if (!page)
      return report(page.error(), "", cfg.json, cfg.timeout_ms);
    print_page(*page, cfg.json);
    if (!page->next_after)
      return exit_ok;
    if (!cmd.all_pages) {
      if (!cfg.json)
        std::cerr << "entact: more records follow: --after="
                  << *page->next_after << '\n';
      return exit_ok;
    }
    req.after = *page->next_after;
  }
}

/// What the commands run on: one server's client, or a cluster's.
struct connection {
  std::unique_ptr<entact::database> db;
  /// `db` as one server's client (for `stats`); null for a cluster.
  entact::client* node = nullptr;
};

/// Runs `connect`, giving up after `timeout`: CAF's connect has no deadline
/// of its own, and a host that drops packets would otherwise hang the CLI.
template <class Connect>
auto connect_within(Connect connect, const std::string& where,
                    std::chrono::milliseconds timeout, bool json) {
  std::mutex mtx;
  std::condition_variable cv;
  bool done = false;
  std::thread watchdog{[&] {
    std::unique_lock<std::mutex> guard{mtx};
    if (cv.wait_for(guard, timeout, [&] { return done; }))
      return;
    auto msg = "cannot reach " + where + " within "
               + std::to_string(timeout.count()) + " ms";
    if (json)
      std::cout << "{\"error\":\"unreachable\",\"message\":" << json_string(msg)
                << "}" << std::endl;
    else
      std::cerr << "entact: unreachable: " << msg << std::endl;
    std::_Exit(exit_unreachable);
  }};
  auto result = connect();
  {
    std::lock_guard<std::mutex> guard{mtx};
    done = true;
  }
  cv.notify_one();
  watchdog.join();
  return result;
}

/// Connects to the cluster named by --cluster, or to --host/--port.
caf::expected<connection> connect_to(const cli_config& cfg) {
  auto timeout = std::chrono::milliseconds{cfg.timeout_ms};
  if (!cfg.cluster.empty()) {
    entact::cluster_client_options opts;
    opts.request_timeout = timeout;
    opts.connect_timeout = std::min(timeout, opts.connect_timeout);
    auto db = connect_within(
      [&] { return entact::connect_cluster(cfg.cluster, opts); },
      "cluster " + cfg.cluster, timeout, cfg.json);
    // No ZooKeeper session within the deadline: unreachable (exit 3), as
    // when the watchdog above wins the race.
    if (!db && entact::code_of(db.error()) == entact::errc::unavailable)
      return entact::make_error(entact::errc::unreachable,
                                "no ZooKeeper session for cluster "
                                  + cfg.cluster + ": "
                                  + detail_of(db.error()));
    if (!db)
      return std::move(db.error());
    return connection{std::move(*db), nullptr};
  }
  entact::client_options opts;
  opts.host = cfg.host;
  opts.port = cfg.port;
  opts.request_timeout = timeout;
  opts.tls = cfg.tls;
  auto db = connect_within([&] { return entact::connect(opts); },
                           "entactd at " + opts.host + ":"
                             + std::to_string(opts.port),
                           timeout, cfg.json);
  if (!db)
    return std::move(db.error());
  auto node = db->get();
  return connection{std::move(*db), node};
}

int run(const connection& conn, const command& cmd, const cli_config& cfg) {
  auto& db = *conn.db;
  auto fail = [&](const caf::error& err, const std::string& id) {
    return report(err, id, cfg.json, cfg.timeout_ms);
  };
  if (cmd.name == "get") {
    auto rec = db.get(cmd.id);
    if (!rec)
      return fail(rec.error(), cmd.id);
    print_record(*rec, cfg.json);
  } else if (cmd.name == "put" || cmd.name == "delete") {
    auto rec = db.apply(cmd.op);
    if (!rec)
      return fail(rec.error(), cmd.id);
    print_record(*rec, cfg.json);
  } else if (cmd.name == "modify") {
    auto rec = db.modify(cmd.change);
    if (!rec)
      return fail(rec.error(), cmd.id);
    print_record(*rec, cfg.json);
  } else if (cmd.name == "txn") {
    std::vector<entact::entity_id> ids;
    for (auto& w : cmd.writes)
      ids.push_back(w.first);
    auto recs = db.transact(ids, [&](entact::transaction& t) {
      for (auto& [id, value] : cmd.writes)
        if (auto err = t.put(id, value))
          return err;
      return caf::error{};
    });
    if (!recs)
      return fail(recs.error(), "");
    for (auto& rec : *recs)
      print_record(rec, cfg.json);
  } else if (cmd.name == "scan") {
    return run_scan(db, cmd, cfg);
  } else if (cmd.name == "stats") {
    if (conn.node == nullptr) // parse_args refuses stats with --cluster
      return fail(entact::make_error(entact::errc::invalid_argument,
                                     "stats needs one server, not --cluster"),
                  "");
    auto st = conn.node->stats();
    if (!st)
      return fail(st.error(), "");
    if (cfg.json)
      std::cout << "{\"resident\":" << st->resident
                << ",\"activations\":" << st->activations
                << ",\"passivations\":" << st->passivations
                << ",\"modifications\":" << st->modifications
                << ",\"modify_writes\":" << st->modify_writes << "}\n";
    else
      std::cout << "resident      " << st->resident << '\n'
                << "activations   " << st->activations << '\n'
                << "passivations  " << st->passivations << '\n'
                << "modifications " << st->modifications << '\n'
                << "modify_writes " << st->modify_writes << '\n';
  }
  return exit_ok;
}

} // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string_view{argv[1]} == "cluster")
    return entact::apps::cluster_main(argc - 1, argv + 1);
  cli_config cfg;
  auto parsed = parse_args({argv + (argc > 0 ? 1 : 0), argv + argc}, cfg);
  if (!parsed.cmd) {
    (parsed.exit_code == exit_ok ? std::cout : std::cerr)
      << parsed.output << std::flush;
    return parsed.exit_code;
  }
  auto conn = connect_to(cfg);
  if (!conn)
    return report(conn.error(), "", cfg.json, cfg.timeout_ms);
  auto code = run(*conn, *parsed.cmd, cfg);
  std::cout << std::flush;
  if (conn->node != nullptr)
    conn->node->close();
  return code;
}
