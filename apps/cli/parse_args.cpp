#include "parse_args.hpp"

#include <charconv>
#include <cstdint>

#include <caf/pec.hpp>

#include "../noop_options.hpp"
#include "entact/cluster/cluster_names.hpp"
#include "error_detail.hpp"
#include "exit_codes.hpp"

namespace entact::cli {

namespace {

constexpr const char* usage = R"(usage: entact [OPTIONS] COMMAND [ARGS]

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
  scan [--prefix=P] [--after=ID] [--limit=N] [--all] [--include-deleted]
                                list stored records in id order, a page of at
                                most N (default 100) whose ids start with P and
                                sort after ID; --all follows every page
  stats                         print the server's counters

With --cluster=HOST:PORT/NAME (ZooKeeper's address and the cluster's name,
as entactd's --cluster) get, put, delete, txn and modify go to the node
that owns each id's shard, and a txn over ids of several nodes commits in
two phases; scan and stats (one node's store and counters) are refused, as
are --host, --port and --tls-* (the cluster client dials the nodes at the
addresses they registered, without TLS).

A put must say how it treats concurrent writers: exactly one of
--if-version, --if-absent, --force. Options may come before or after the
command; after a bare `--` every argument is positional.

output: one record per line, `ID  vVERSION  VALUE` (`(deleted)` for a
tombstone); a scan that stops before the end says on stderr where the next
page starts (--after=ID). With --json, one JSON object per line:
  {"id":"acct/1","version":3,"value":"100","deleted":false}
  {"records":[{...},...],"next_after":"acct/7"}   (a scan: one per page)
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
      options, an --openssl.* option: TLS is --tls-*; a malformed
      --cluster, or with --host/--port/--tls-*, or with scan or stats)
)";

/// The write-mode flags, checked once for every subcommand.
struct write_flags {
  bool version_given = false;
  entact::version_t version = 0;
  bool if_absent = false;
  bool force = false;

  bool any() const {
    return version_given || if_absent || force;
  }
};

/// A subcommand's own check of its arguments and flags: fills `cmd` (whose
/// `name` and `args` are set) or returns the usage error.
using subcommand_parser = std::optional<std::string> (*)(const write_flags&,
                                                         command& cmd);

std::optional<std::string> arity(const command& cmd, size_t n,
                                 const char* synopsis) {
  if (cmd.args.size() != n)
    return "expected: entact " + std::string{synopsis};
  return std::nullopt;
}

std::optional<std::string> no_write_flags(const write_flags& flags,
                                          const command& cmd) {
  if (flags.any())
    return "--if-version, --if-absent and --force apply to put and delete "
           "only, not to " + cmd.name;
  return std::nullopt;
}

std::optional<std::string> parse_get(const write_flags& flags, command& cmd) {
  if (auto err = arity(cmd, 1, "get ID"))
    return err;
  if (auto err = no_write_flags(flags, cmd))
    return err;
  cmd.id = cmd.args[0];
  return std::nullopt;
}

std::optional<std::string> parse_put(const write_flags& flags, command& cmd) {
  if (auto err = arity(cmd, 2,
                       "put ID VALUE (--if-version=N|--if-absent|--force)"))
    return err;
  auto modes = int{flags.version_given} + int{flags.if_absent}
               + int{flags.force};
  if (modes != 1)
    return std::string{modes == 0 ? "put needs" : "put takes only"}
           + " one of --if-version=N (update at version N), "
             "--if-absent (create) or --force (last write wins)";
  const auto& id = cmd.args[0];
  const auto& value = cmd.args[1];
  cmd.id = id;
  if (flags.version_given)
    cmd.op = entact::write_op::update(id, flags.version, value);
  else if (flags.if_absent)
    cmd.op = entact::write_op::create(id, value);
  else
    cmd.op = entact::write_op::unconditional(id, value);
  return std::nullopt;
}

std::optional<std::string> parse_delete(const write_flags& flags,
                                        command& cmd) {
  if (auto err = arity(cmd, 1, "delete ID --if-version=N"))
    return err;
  if (flags.if_absent || flags.force)
    return "delete takes --if-version=N only";
  if (!flags.version_given)
    return "delete needs --if-version=N (the version it deletes)";
  cmd.id = cmd.args[0];
  cmd.op = entact::write_op::erase(cmd.id, flags.version);
  return std::nullopt;
}

std::optional<std::string> parse_txn(const write_flags& flags, command& cmd) {
  if (cmd.args.empty())
    return "expected: entact txn ID=VALUE [ID=VALUE ...]";
  if (auto err = no_write_flags(flags, cmd))
    return err;
  for (auto& arg : cmd.args) {
    auto eq = arg.find('=');
    if (eq == std::string::npos)
      return "txn arguments are ID=VALUE, got '" + arg + "'";
    cmd.writes.emplace_back(arg.substr(0, eq), arg.substr(eq + 1));
  }
  return std::nullopt;
}

std::optional<std::string> parse_modify(const write_flags& flags,
                                        command& cmd) {
  auto& args = cmd.args;
  if (args.size() < 2 || args.size() > 3)
    return "expected: entact modify ID OP [ARG]";
  if (auto err = no_write_flags(flags, cmd))
    return err;
  cmd.id = args[0];
  cmd.change = entact::modify_op{args[0], args[1],
                                 args.size() == 3 ? args[2] : ""};
  return std::nullopt;
}

std::optional<std::string> parse_scan(const write_flags& flags,
                                      command& cmd) {
  if (auto err = arity(cmd, 0,
                       "scan [--prefix=P] [--after=ID] [--limit=N] [--all] "
                       "[--include-deleted]"))
    return err;
  return no_write_flags(flags, cmd);
}

std::optional<std::string> parse_stats(const write_flags& flags,
                                       command& cmd) {
  if (auto err = arity(cmd, 0, "stats"))
    return err;
  return no_write_flags(flags, cmd);
}

/// Every subcommand: a new one is one line here and its parser (and its
/// branch in entact_cli.cpp's `run`).
struct subcommand {
  const char* name;
  subcommand_parser parse;
  /// What `--cluster` says of it: empty if the cluster client serves it
  /// (it goes through `entact::database`, one id's shard at a time or a
  /// transaction across them), else why not.
  const char* not_routed;
};

constexpr subcommand subcommands[] = {
  {"get", parse_get, ""},
  {"put", parse_put, ""},
  {"delete", parse_delete, ""},
  {"txn", parse_txn, ""},
  {"modify", parse_modify, ""},
  {"scan", parse_scan,
   "a scan lists one store in id order and the ids of a cluster are spread "
   "over every node's shards"},
  {"stats", parse_stats, "the counters are one server's"},
};

/// "get, put, delete, txn, modify, stats".
std::string subcommand_names() {
  std::string names;
  for (auto& sub : subcommands)
    names += (names.empty() ? "" : ", ") + std::string{sub.name};
  return names;
}

/// The scan options: only `scan` takes them. The server checks the
/// prefix, the cursor and the limit against its own bounds.
std::optional<std::string> scan_options(const cli_config& cfg, command& cmd) {
  auto any = cfg.given("prefix") || cfg.given("after") || cfg.given("limit")
             || cfg.all || cfg.include_deleted;
  if (cmd.name != "scan")
    return any ? std::optional<std::string>{
             "--prefix, --after, --limit, --all and --include-deleted apply "
             "to scan only, not to " + cmd.name}
               : std::nullopt;
  if (cfg.limit > UINT32_MAX)
    return "--limit is the most records per page, e.g. --limit=100";
  cmd.scan.prefix = cfg.prefix;
  cmd.scan.after = cfg.after;
  cmd.scan.limit = static_cast<uint32_t>(cfg.limit);
  cmd.scan.include_deleted = cfg.include_deleted;
  cmd.all_pages = cfg.all;
  return std::nullopt;
}

/// `--cluster`: a well-formed address and none of the options of a single
/// server (checked before the --tls-* files are).
std::optional<std::string> cluster_options(const cli_config& cfg) {
  if (!cfg.given("cluster"))
    return std::nullopt;
  if (auto where = entact::cluster::parse_cluster_address(cfg.cluster);
      !where)
    return "--cluster=HOST:PORT/NAME (ZooKeeper's address and the "
           "cluster's name): " + detail_of(where.error());
  if (cfg.given("host") || cfg.given("port"))
    return std::string{"--cluster finds each id's node itself: drop --host "
                       "and --port (or drop --cluster to talk to one node)"};
  if (cfg.tls.enabled() || cfg.given("tls-server-name"))
    return std::string{"--tls-* options do not apply to --cluster: the "
                       "cluster client dials the nodes without TLS"};
  return std::nullopt;
}

/// `--cluster` with a command the cluster client does not serve.
std::optional<std::string> cluster_command(const cli_config& cfg,
                                           const subcommand& sub) {
  if (!cfg.given("cluster") || *sub.not_routed == '\0')
    return std::nullopt;
  return std::string{sub.name} + " is not served with --cluster: "
         + sub.not_routed + " (run it against one node with --host/--port)";
}

/// CAF's parser stops at the first positional argument. So that options may
/// also follow the command (`entact put k v --force`), this moves options
/// (`--name[=value]`, `-h`, `-?`) in front of positional arguments, keeping
/// their order; a bare `--` ends options. CAF then parses the options and
/// leaves the command and its arguments in `remainder`.
caf::actor_system_config::string_list
options_first(const std::vector<std::string>& args) {
  caf::actor_system_config::string_list opts;
  caf::actor_system_config::string_list positional;
  bool options_ended = false;
  for (auto& arg : args) {
    if (options_ended) {
      positional.push_back(arg);
    } else if (arg == "--") {
      options_ended = true;
    } else if ((arg.size() > 2 && arg.compare(0, 2, "--") == 0) || arg == "-h"
               || arg == "-?") {
      opts.push_back(arg);
    } else {
      positional.push_back(arg);
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

parse_result usage_error(const std::string& what, bool hint = true) {
  return {exit_usage, std::nullopt,
          "entact: " + what
            + (hint ? "\n(entact --help lists commands and options)\n"
                    : "\n")};
}

/// Checks the command in `cfg.remainder` and its flags.
parse_result parse_command(const cli_config& cfg) {
  auto& rest = cfg.remainder;
  if (rest.empty())
    return usage_error("missing command (" + subcommand_names() + ")");
  write_flags flags;
  flags.version_given = cfg.given("if-version");
  flags.if_absent = cfg.if_absent;
  flags.force = cfg.force;
  if (flags.version_given) {
    // 0 is a version like any other: the server applies the version rule
    // (not_found for an entity that never existed, conflict otherwise).
    auto version = parse_version(cfg.if_version);
    if (!version)
      return usage_error("--if-version needs a number, got '"
                         + cfg.if_version + "'");
    flags.version = *version;
  }
  command cmd;
  cmd.name = rest.front();
  cmd.args.assign(rest.begin() + 1, rest.end());
  for (auto& sub : subcommands) {
    if (cmd.name != sub.name)
      continue;
    if (auto err = sub.parse(flags, cmd))
      return usage_error(*err);
    if (auto err = scan_options(cfg, cmd))
      return usage_error(*err);
    if (auto err = cluster_command(cfg, sub))
      return usage_error(*err, false);
    return {exit_ok, std::move(cmd), {}};
  }
  return usage_error("unknown command '" + cmd.name + "' ("
                     + subcommand_names() + ")");
}

} // namespace

parse_result parse_args(const std::vector<std::string>& args,
                        cli_config& cfg) {
  if (auto err = cfg.parse(options_first(args)))
    return usage_error(option_error(err));
  if (cfg.help_requested()) {
    std::string help;
    if (!cfg.cli_helptext_printed)
      help = cfg.option_help() + "\n\n";
    return {exit_ok, std::nullopt, help + usage};
  }
  auto noop = entact::apps::noop_options(
    cfg, "TLS is --tls-ca, --tls-server-name, --tls-cert and --tls-key");
  if (!noop.empty())
    return usage_error(noop, false);
  if (auto err = cluster_options(cfg))
    return usage_error(*err, false);
  if (cfg.tls.enabled())
    if (auto err = entact::check_tls_options(cfg.tls))
      return usage_error(detail_of(err), false);
  auto parsed = parse_command(cfg);
  if (!parsed.cmd)
    return parsed;
  if (cfg.timeout_ms == 0 || cfg.port == 0 || cfg.host.empty())
    return usage_error("--host, --port and --timeout-ms must not be empty "
                       "or 0", false);
  return parsed;
}

const char* usage_text() {
  return usage;
}

} // namespace entact::cli
