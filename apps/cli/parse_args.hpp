#pragma once

// The `entact` CLI's command line, as a unit of its own: argv becomes a
// checked command, the help text or a usage error, with no network and no
// actor system (CAF's config system parses the options). The CLI runs
// what this returns; tests/test_cli_args.cpp and fuzz/cli_args.cpp call it
// directly.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cli_config.hpp"
#include "entact/entity_id.hpp"
#include "entact/modify_op.hpp"
#include "entact/scan.hpp"
#include "entact/write_op.hpp"

namespace entact::cli {

/// A command, checked and ready to run. The ids and values are the
/// argument bytes as given: the server validates them against its own
/// limits (an invalid id is its `invalid_argument`, exit 4, not a usage
/// error).
struct command {
  std::string name;                               // the subcommand
  std::vector<std::string> args;                  // its arguments, as given
  entact::entity_id id;                           // get, put, delete, modify
  entact::write_op op;                            // put, delete
  entact::modify_op change;                       // modify
  std::vector<std::pair<entact::entity_id, std::string>> writes; // txn
  entact::scan_request scan;                      // scan: its first page
  bool all_pages = false;                         // scan --all
};

/// What the command line asks for. `cmd` is set if there is a command to
/// run (`exit_code` is then `exit_ok` and `output` empty); otherwise the
/// CLI prints `output` (to stdout for `exit_ok`: the help text, to stderr
/// for `exit_usage`: the error) and exits with `exit_code`.
struct parse_result {
  int exit_code = 0;
  std::optional<command> cmd;
  std::string output;
};

/// Parses the arguments after the program name into `cfg` (options) and a
/// command. Options may come before or after the command; after a bare
/// `--` every argument is positional. Never throws for any input. (For
/// `--help`, CAF's parser itself prints the option list to stdout.)
parse_result parse_args(const std::vector<std::string>& args, cli_config& cfg);

/// The commands, output formats and exit codes, as `--help` prints them.
const char* usage_text();

} // namespace entact::cli
