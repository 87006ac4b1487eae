// Fuzz target: the `entact` CLI's command line (apps/cli/parse_args.*),
// argv -> a checked command, the help text or a usage error.
//
// Input: the arguments after the program name, separated by NUL bytes (at
// most 32 of them, each cut at 512 bytes). Asserted, besides "no crash,
// no exception, no hang": the outcome is exactly one of a command (exit
// 0, nothing printed), help (exit 0, text for stdout) or a usage error
// (exit 64, one "entact: ..." message for stderr); an accepted command
// has the arity and flags its subcommand requires, carries its ids and
// values byte for byte as given, and builds ops the protocol's own
// validation accepts whenever their id does (the CLI leaves the limits to
// the server: an invalid id is the server's invalid_argument, exit 4).

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "caf_quirks.hpp"
#include "cli/exit_codes.hpp"
#include "cli/parse_args.hpp"
#include "entact/entity_id.hpp"
#include "entact/errc.hpp"

namespace {

using namespace entact;
using namespace entact::cli;

constexpr size_t max_args = 32;
constexpr size_t max_arg_bytes = 512;

[[noreturn]] void fail(const char* what) {
  fprintf(stderr, "fuzz_cli_args: %s\n", what);
  abort();
}

void check(bool ok, const char* what) {
  if (!ok)
    fail(what);
}

std::vector<std::string> split_args(const uint8_t* data, size_t size) {
  std::vector<std::string> args;
  std::string_view rest{reinterpret_cast<const char*>(data), size};
  while (!rest.empty() && args.size() < max_args) {
    auto end = rest.find('\0');
    auto arg = rest.substr(0, end);
    args.emplace_back(arg.substr(0, max_arg_bytes));
    rest = end == std::string_view::npos ? std::string_view{}
                                         : rest.substr(end + 1);
  }
  return args;
}

bool given_as_is(const std::vector<std::string>& args, const std::string& x) {
  for (auto& arg : args)
    if (arg == x)
      return true;
  return false;
}

/// Limits that refuse nothing for size: what is left is the protocol's
/// well-formedness rules (the server applies its own limits).
const limits unbounded{std::numeric_limits<size_t>::max(),
                       std::numeric_limits<size_t>::max(),
                       std::numeric_limits<size_t>::max()};

/// An op the CLI built is well-formed: refused only if its id is.
void check_op(const write_op& op) {
  auto id_ok = !validate_id(op.id, unbounded);
  check(id_ok == !validate(op, unbounded),
        "an op with a valid id fails the protocol's validation");
}

void check_write_flags(const cli_config& cfg, const command& cmd) {
  auto version_given = cfg.given("if-version");
  auto modes = int{version_given} + int{cfg.if_absent} + int{cfg.force};
  if (cmd.name == "put") {
    check(modes == 1, "a put without exactly one mode was accepted");
  } else if (cmd.name == "delete") {
    check(version_given && modes == 1, "a delete without only --if-version");
  } else {
    check(modes == 0, "write flags accepted on a command that ignores them");
    return;
  }
  if (version_given) {
    version_t v = 0;
    auto& str = cfg.if_version;
    auto [ptr, ec] = std::from_chars(str.data(), str.data() + str.size(), v);
    check(ec == std::errc{} && ptr == str.data() + str.size() && !str.empty()
            && v == cmd.op.expected_version,
          "the op's version is not --if-version's number");
  }
}

void check_command(const std::vector<std::string>& args,
                   const cli_config& cfg, const command& cmd) {
  check(given_as_is(args, cmd.name), "the command name was not an argument");
  for (auto& arg : cmd.args)
    check(given_as_is(args, arg), "a command argument was altered");
  check(cfg.port != 0 && cfg.timeout_ms != 0 && !cfg.host.empty(),
        "accepted an empty host or a zero port or timeout");
  check_write_flags(cfg, cmd);
  auto& a = cmd.args;
  if (cmd.name == "get") {
    check(a.size() == 1 && cmd.id == a[0], "get ID");
  } else if (cmd.name == "put") {
    check(a.size() == 2 && cmd.id == a[0] && cmd.op.id == a[0]
            && cmd.op.value == a[1],
          "put ID VALUE");
    auto kind = cfg.force       ? op_kind::write_unconditionally
                : cfg.if_absent ? op_kind::create_if_absent
                                : op_kind::update_if_version;
    check(cmd.op.kind == kind, "the put's kind is not its flag's");
    check_op(cmd.op);
  } else if (cmd.name == "delete") {
    check(a.size() == 1 && cmd.op.id == a[0]
            && cmd.op.kind == op_kind::erase_if_version,
          "delete ID");
    check_op(cmd.op);
  } else if (cmd.name == "txn") {
    check(!a.empty() && cmd.writes.size() == a.size(), "txn ID=VALUE...");
    for (size_t i = 0; i < a.size(); ++i) {
      auto& [id, value] = cmd.writes[i];
      check(id.find('=') == std::string::npos && id + "=" + value == a[i],
            "a txn write does not split its argument at the first '='");
    }
  } else if (cmd.name == "modify") {
    check(a.size() >= 2 && a.size() <= 3 && cmd.change.id == a[0]
            && cmd.change.name == a[1]
            && cmd.change.arg == (a.size() == 3 ? a[2] : ""),
          "modify ID OP [ARG]");
    auto well_formed = !validate_id(a[0], unbounded)
                       && !validate_operation_name(a[1]);
    check(well_formed == !validate(cmd.change, unbounded),
          "a modify with a valid id and name fails the protocol's validation");
  } else if (cmd.name == "stats") {
    check(a.empty(), "stats takes no arguments");
  } else if (cmd.name == "scan") {
    check(a.empty(), "scan takes no arguments");
    check(cmd.scan.prefix.empty()
            || given_as_is(args, "--prefix=" + cmd.scan.prefix),
          "a scan's prefix was not given as is");
  } else {
    fail("accepted an unknown command");
  }
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // CAF's parser prints --help and --dump-config to stdout itself.
  std::cout.rdbuf(nullptr);
  entact::fuzz::make_option_types_first();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto args = split_args(data, size);
  cli_config cfg;
  auto res = parse_args(args, cfg);
  if (res.cmd) {
    check(res.exit_code == exit_ok && res.output.empty(),
          "a command came with an exit code or output");
    check_command(args, cfg, *res.cmd);
  } else if (res.exit_code == exit_ok) {
    check(res.output.find("exit codes:") != std::string::npos,
          "exit 0 without a command is not the help text");
  } else {
    check(res.exit_code == exit_usage, "an exit code other than 0 or 64");
    auto& out = res.output;
    check(out.rfind("entact: ", 0) == 0 && out.size() > 9
            && out.back() == '\n',
          "a usage error is not one 'entact: ...' message");
  }
  return 0;
}
