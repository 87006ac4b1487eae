// entact: the command-line client of an `entactd` server, over
// `entact::client`.
//
//   entact get acct/1
//   entact put acct/1 100 --if-absent        (or --if-version=N, or --force)
//   entact delete acct/1 --if-version=2
//   entact txn acct/1=70 acct/2=130
//   entact modify counter/1 add 5
//   entact stats
//   entact --json --port=7411 get acct/1
//   entact --tls-ca=ca.pem [--tls-cert=me.pem --tls-key=me.key] get acct/1
//
// Options go through CAF's config system; `--help` lists them, the commands
// and the exit codes. Results go to stdout; errors to stderr (with --json,
// errors reported by the server are JSON objects on stdout as well).

#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <variant>
#include <vector>

#include <caf/actor_system_config.hpp>
#include <caf/pec.hpp>
#include <caf/settings.hpp>

#include "entact/client.hpp"
#include "entact/not_found.hpp"
#include "entact/register_types.hpp"
#include "cluster_cli.hpp"
#include "entact/tls_options.hpp"
#include "noop_options.hpp"

namespace {

// Exit codes: stable, documented in --help and README.md.
constexpr int exit_ok = 0;
constexpr int exit_conflict = 1;
constexpr int exit_not_found = 2;
constexpr int exit_unreachable = 3;
constexpr int exit_server_error = 4;
constexpr int exit_usage = 64; // EX_USAGE of sysexits.h

constexpr const char* usage_text = R"(usage: entact [OPTIONS] COMMAND [ARGS]

commands:
  get ID                        print the committed record of ID
  put ID VALUE --if-version=N   replace the value if ID is at version N
  put ID VALUE --if-absent      create ID if it is absent or deleted
  put ID VALUE --force          last write wins: overwrite whatever is stored
  delete ID --if-version=N      delete ID (leave a tombstone) if at version N
  txn ID=VALUE [ID=VALUE ...]   lock all IDs, write all values atomically
                                (creates absent ones; splits at the first '=')
  modify ID OP [ARG]            run the server's operation OP on ID's committed
                                record and write the result, e.g. `add 5`,
                                `append BYTES`, `set_if_version VERSION:VALUE`
  stats                         print the server's counters

A put must say how it treats concurrent writers: exactly one of
--if-version, --if-absent, --force. Options may come before or after the
command; after a bare `--` every argument is positional.

output: one record per line, `ID  vVERSION  VALUE` (`(deleted)` for a
tombstone). With --json, one JSON object per line:
  {"id":"acct/1","version":3,"value":"100","deleted":false}
  {"error":"conflict","id":...,"expected_version":...,"stored":{...},
   "attempted_value":...}
  {"error":"not_found","id":...,"stored":{...},"message":...}
  {"error":"invalid_argument","id":...,"message":...}   (other errors alike)
JSON strings escape `"`, `\`, control characters, DEL and every byte
>= 0x80 as \u00XX (one escape per byte: read them as Latin-1 to get the
original bytes back).

exit codes:
  0   ok
  1   conflict: the write was refused; the stored record is printed
  2   not found (absent or deleted); the stored record (tombstone, or
      version 0) is printed
  3   server unreachable, or no answer within --timeout-ms (for a write:
      its outcome is unknown, read before retrying)
  4   other error reported by the server (invalid id, too large,
      overloaded, lock timeout, storage failure, in doubt, ...)
  64  bad usage (unknown command or option, wrong arguments, put mode
      missing or ambiguous, non-numeric version, inconsistent --tls-*
      options, an --openssl.* option: TLS is --tls-*)
)";

/// The CLI's options, through CAF's config system.
class cli_config : public entact::config {
public:
  std::string host = "127.0.0.1";
  uint16_t port = 7411;
  bool json = false;
  size_t timeout_ms = 10000;
  std::string if_version;
  bool if_absent = false;
  bool force = false;
  entact::tls_client_options tls;

  cli_config() {
    opt_group{custom_options_, "global"}
      .add(host, "host", "address of the entactd server")
      .add(port, "port", "port of the entactd server")
      .add(json, "json", "print one JSON object per result")
      .add(timeout_ms, "timeout-ms",
           "deadline of connecting and of each call")
      .add(if_version, "if-version",
           "put/delete: apply only if the stored version is N")
      .add(if_absent, "if-absent", "put: create only if absent or deleted")
      .add(force, "force", "put: last write wins (no version check)")
      .add(tls.ca_file, "tls-ca",
           "connect with TLS; the server's certificate must be signed by "
           "these PEM CA certificates and name --host")
      .add(tls.server_name, "tls-server-name",
           "the name the server's certificate must carry (default: --host)")
      .add(tls.certificate_file, "tls-cert",
           "PEM client certificate, for servers that require one")
      .add(tls.key_file, "tls-key", "PEM private key of --tls-cert");
  }

  /// True if option `name` appeared on the command line.
  bool given(const char* name) const {
    return content.count(name) > 0;
  }

  /// CAF prints its help text only if every argument is an option; this
  /// also catches `entact put --help`.
  bool help_requested() const {
    return cli_helptext_printed || caf::get_or(content, "help", false)
           || caf::get_or(content, "long-help", false);
  }

  std::string option_help() const {
    return custom_options_.help_text(!caf::get_or(content, "long-help", false));
  }
};

/// A command, checked and ready to run.
struct command {
  std::string name;
  entact::entity_id id;                           // get, put, delete
  entact::write_op op;                            // put, delete
  entact::modify_op change;                       // modify
  std::vector<std::pair<entact::entity_id, std::string>> writes; // txn
};

struct usage_error {
  std::string what;
};

// -- command line -------------------------------------------------------------

/// CAF's parser stops at the first positional argument. So that options may
/// also follow the command (`entact put k v --force`), this moves options
/// (`--name[=value]`, `-h`, `-?`) in front of positional arguments, keeping
/// their order; a bare `--` ends options. CAF then parses the options and
/// leaves the command and its arguments in `remainder`.
caf::actor_system_config::string_list options_first(int argc, char** argv) {
  caf::actor_system_config::string_list opts;
  caf::actor_system_config::string_list positional;
  bool options_ended = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (options_ended) {
      positional.push_back(std::move(arg));
    } else if (arg == "--") {
      options_ended = true;
    } else if ((arg.size() > 2 && arg.compare(0, 2, "--") == 0) || arg == "-h"
               || arg == "-?") {
      opts.push_back(std::move(arg));
    } else {
      positional.push_back(std::move(arg));
    }
  }
  opts.insert(opts.end(), positional.begin(), positional.end());
  return opts;
}

std::optional<entact::version_t> parse_version(const std::string& str) {
  entact::version_t v = 0;
  auto last = str.data() + str.size();
  auto [ptr, ec] = std::from_chars(str.data(), last, v);
  if (str.empty() || ec != std::errc{} || ptr != last)
    return std::nullopt;
  return v;
}

/// Checks the command in `cfg.remainder` and its flags.
std::variant<command, usage_error> parse_command(const cli_config& cfg) {
  auto fail = [](std::string what) { return usage_error{std::move(what)}; };
  auto& rest = cfg.remainder;
  if (rest.empty())
    return fail("missing command (get, put, delete, txn, modify, stats)");
  command cmd;
  cmd.name = rest.front();
  std::vector<std::string> args(rest.begin() + 1, rest.end());
  auto arity = [&](size_t n, const char* synopsis) -> std::optional<usage_error> {
    if (args.size() != n)
      return fail("expected: entact " + std::string{synopsis});
    return std::nullopt;
  };
  bool v_given = cfg.given("if-version");
  bool absent_given = cfg.if_absent;
  bool force_given = cfg.force;
  std::optional<entact::version_t> version;
  if (v_given) {
    version = parse_version(cfg.if_version);
    // 0 is a version like any other: the server applies the version rule
    // (not_found for an entity that never existed, conflict otherwise).
    if (!version)
      return fail("--if-version needs a number, got '" + cfg.if_version + "'");
  }
  auto no_write_flags = [&]() -> std::optional<usage_error> {
    if (v_given || absent_given || force_given)
      return fail("--if-version, --if-absent and --force apply to put "
                  "and delete only, not to " + cmd.name);
    return std::nullopt;
  };
  if (cmd.name == "get") {
    if (auto err = arity(1, "get ID"))
      return *err;
    if (auto err = no_write_flags())
      return *err;
    cmd.id = args[0];
  } else if (cmd.name == "put") {
    if (auto err = arity(2, "put ID VALUE (--if-version=N|--if-absent|--force)"))
      return *err;
    auto modes = int{v_given} + int{absent_given} + int{force_given};
    if (modes != 1)
      return fail(std::string{modes == 0 ? "put needs" : "put takes only"}
                  + " one of --if-version=N (update at version N), "
                    "--if-absent (create) or --force (last write wins)");
    cmd.id = args[0];
    if (v_given)
      cmd.op = entact::write_op::update(args[0], *version, args[1]);
    else if (absent_given)
      cmd.op = entact::write_op::create(args[0], args[1]);
    else
      cmd.op = entact::write_op::unconditional(args[0], args[1]);
  } else if (cmd.name == "delete") {
    if (auto err = arity(1, "delete ID --if-version=N"))
      return *err;
    if (absent_given || force_given)
      return fail("delete takes --if-version=N only");
    if (!v_given)
      return fail("delete needs --if-version=N (the version it deletes)");
    cmd.id = args[0];
    cmd.op = entact::write_op::erase(args[0], *version);
  } else if (cmd.name == "txn") {
    if (args.empty())
      return fail("expected: entact txn ID=VALUE [ID=VALUE ...]");
    if (auto err = no_write_flags())
      return *err;
    for (auto& arg : args) {
      auto eq = arg.find('=');
      if (eq == std::string::npos)
        return fail("txn arguments are ID=VALUE, got '" + arg + "'");
      cmd.writes.emplace_back(arg.substr(0, eq), arg.substr(eq + 1));
    }
  } else if (cmd.name == "modify") {
    if (args.size() < 2 || args.size() > 3)
      return fail("expected: entact modify ID OP [ARG]");
    if (auto err = no_write_flags())
      return *err;
    cmd.id = args[0];
    cmd.change = entact::modify_op{args[0], args[1],
                                   args.size() == 3 ? args[2] : ""};
  } else if (cmd.name == "stats") {
    if (auto err = arity(0, "stats"))
      return *err;
    if (auto err = no_write_flags())
      return *err;
  } else {
    return fail("unknown command '" + cmd.name
                + "' (get, put, delete, txn, modify, stats)");
  }
  return cmd;
}

/// Renders an error of CAF's option parser, e.g. "unknown option --bogus".
std::string option_error(const caf::error& err) {
  if (err.category() != caf::atom("parser"))
    return caf::actor_system_config::render(err);
  auto code = static_cast<caf::pec>(err.code());
  std::string what = code == caf::pec::not_an_option ? "unknown option"
                     : code == caf::pec::missing_argument
                       ? "option needs a value"
                       : "bad option value (" + to_string(code) + ")";
  auto& ctx = err.context();
  if (ctx.size() == 1 && ctx.match_element<caf::settings>(0)) {
    auto& dict = ctx.get_as<caf::settings>(0);
    if (auto arg = caf::get_if<std::string>(&dict, "argument"))
      what += ": " + *arg;
  }
  return what;
}

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

/// The human-readable detail of an error: the string entact attached, or
/// CAF's rendering.
std::string detail_of(const caf::error& err) {
  auto& ctx = err.context();
  if (err.category() == entact::error_category && !ctx.empty()
      && ctx.match_element<std::string>(0))
    return ctx.get_as<std::string>(0);
  if (err.category() == entact::error_category)
    return ctx.empty() ? std::string{} : to_string(ctx);
  return caf::actor_system_config::render(err);
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

// -- running ------------------------------------------------------------------

/// Connects, giving up after `timeout`: CAF's connect has no deadline of its
/// own, and a host that drops packets would otherwise hang the CLI.
caf::expected<std::unique_ptr<entact::client>>
connect_within(entact::client_options opts, std::chrono::milliseconds timeout,
               bool json) {
  std::mutex mtx;
  std::condition_variable cv;
  bool done = false;
  auto where = opts.host + ":" + std::to_string(opts.port);
  std::thread watchdog{[&] {
    std::unique_lock<std::mutex> guard{mtx};
    if (cv.wait_for(guard, timeout, [&] { return done; }))
      return;
    auto msg = "cannot reach entactd at " + where + " within "
               + std::to_string(timeout.count()) + " ms";
    if (json)
      std::cout << "{\"error\":\"unreachable\",\"message\":" << json_string(msg)
                << "}" << std::endl;
    else
      std::cerr << "entact: unreachable: " << msg << std::endl;
    std::_Exit(exit_unreachable);
  }};
  auto result = entact::connect(std::move(opts));
  {
    std::lock_guard<std::mutex> guard{mtx};
    done = true;
  }
  cv.notify_one();
  watchdog.join();
  return result;
}

int run(entact::client& db, const command& cmd, const cli_config& cfg) {
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
  } else if (cmd.name == "stats") {
    auto st = db.stats();
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
  if (auto err = cfg.parse(options_first(argc, argv))) {
    std::cerr << "entact: " << option_error(err)
              << "\n(entact --help lists commands and options)\n";
    return exit_usage;
  }
  if (cfg.help_requested()) {
    if (!cfg.cli_helptext_printed)
      std::cout << cfg.option_help() << "\n\n";
    std::cout << usage_text << std::flush;
    return exit_ok;
  }
  auto noop = entact::apps::noop_options(
    cfg, "TLS is --tls-ca, --tls-server-name, --tls-cert and --tls-key");
  if (!noop.empty()) {
    std::cerr << "entact: " << noop << '\n';
    return exit_usage;
  }
  if (cfg.tls.enabled())
    if (auto err = entact::check_tls_options(cfg.tls)) {
      std::cerr << "entact: " << detail_of(err) << '\n';
      return exit_usage;
    }
  auto parsed = parse_command(cfg);
  if (auto bad = std::get_if<usage_error>(&parsed)) {
    std::cerr << "entact: " << bad->what
              << "\n(entact --help lists commands and options)\n";
    return exit_usage;
  }
  auto& cmd = std::get<command>(parsed);
  if (cfg.timeout_ms == 0 || cfg.port == 0 || cfg.host.empty()) {
    std::cerr << "entact: --host, --port and --timeout-ms must not be "
                 "empty or 0\n";
    return exit_usage;
  }
  entact::client_options opts;
  opts.host = cfg.host;
  opts.port = cfg.port;
  opts.request_timeout = std::chrono::milliseconds{cfg.timeout_ms};
  opts.tls = cfg.tls;
  auto timeout = std::chrono::milliseconds{cfg.timeout_ms};
  auto db = connect_within(opts, timeout, cfg.json);
  if (!db)
    return report(db.error(), "", cfg.json, cfg.timeout_ms);
  auto code = run(**db, cmd, cfg);
  std::cout << std::flush;
  (*db)->close();
  return code;
}
